/// How signatures are computed. Signatures of different schemes are not comparable.
public enum SignatureScheme: String, Sendable, Codable, CaseIterable {
    /// One permutation (one hash per shingle) into P bins, empty bins filled by optimal densification
    /// (Shrivastava, 2017). The default: its error matches classic MinHash (see the dedup benchmark).
    case onePermutation = "oph"
    /// P independent permutations, P hash operations per shingle. Kept as the reference.
    case classic
}

/// Where word shingles may not reach across. Signatures made with different bounds are not comparable.
public enum ShingleBounds: String, Sendable, Codable, CaseIterable {
    /// Windows stay inside a sentence or paragraph (`SentenceUnits`): a copy with its paragraphs in
    /// another order has the same shingles. The default.
    case sentences
    /// Windows run over the whole text, across every sentence and paragraph: what stores made before
    /// bounds existed hold, until `winnowctl reprocess --from dedup`.
    case none
}

/// Parameters that define a signature. Signatures made with different parameters are not comparable,
/// so every stored signature records them.
public struct DedupParameters: Sendable, Codable, Equatable {
    public var shingleSize: Int
    public var permutations: Int
    public var threshold: Double
    /// An article whose estimated containment in another (or of another in it) reaches this bound is a
    /// duplicate even below `threshold`: a truncated copy, or an article wrapped in a longer page. 0 disables it.
    public var containment: Double
    public var scheme: SignatureScheme
    public var seed: UInt64
    public var bounds: ShingleBounds

    /// Four words a shingle, inside sentences: with windows that stop at sentence ends a text has fewer of
    /// them, so a fifth word made each edited word cost more of the similarity than it did across the
    /// whole text (on the dedup corpus, 4-word shingles inside sentences joined every kind of copy as
    /// often as 5-word ones across the text did, and reordered paragraphs 179/179 against 117/179).
    public init(shingleSize: Int = 4, permutations: Int = 128, threshold: Double = 0.8, containment: Double = 0.9,
                scheme: SignatureScheme = .onePermutation, seed: UInt64 = 0x5717_4E0B_D3D0_2A11, bounds: ShingleBounds = .sentences) {
        self.bounds = bounds
        self.shingleSize = shingleSize
        self.permutations = permutations
        self.threshold = threshold
        self.containment = containment
        self.scheme = scheme
        self.seed = seed
    }
}

/// Word k-shingles: a rolling polynomial over the word hashes, finalized with one mix, so each
/// shingle costs O(1) whatever k is. A text shorter than k words is one shingle of all its words.
public enum Shingles {
    static let base: UInt64 = 0x1000_0000_01b3 | 1

    public static func hashes(wordHashes w: [UInt64], size k: Int, seed: UInt64) -> [UInt64] {
        guard !w.isEmpty else { return [] }
        let width = min(k, w.count)
        var power: UInt64 = 1  // base^(width-1)
        for _ in 1..<max(width, 1) { power &*= base }
        var result = [UInt64]()
        result.reserveCapacity(w.count - width + 1)
        let salt = StableHash.mix(seed ^ 0x243f_6a88_85a3_08d3)
        w.withUnsafeBufferPointer { w in
            var h: UInt64 = 0
            for i in 0..<width { h = h &* base &+ w[i] }
            result.append(StableHash.mix(h ^ salt))
            var start = 0
            while start + width < w.count {
                h = (h &- w[start] &* power) &* base &+ w[start + width]
                start += 1
                result.append(StableHash.mix(h ^ salt))
            }
        }
        return result
    }

    public static func hashes(of text: String, size k: Int, seed: UInt64, bounds: ShingleBounds) -> [UInt64] {
        switch bounds {
        case .none: return hashes(wordHashes: WordHashes.of(text, seed: seed), size: k, seed: seed)
        case .sentences: return SentenceUnits.wordHashes(of: text, seed: seed).flatMap { hashes(wordHashes: $0, size: k, seed: seed) }
        }
    }
}

/// A signature and the number of shingles it was made from (for containment estimates).
public struct Signature: Sendable, Equatable {
    public var values: [UInt64]
    public var shingleCount: Int

    public init(values: [UInt64], shingleCount: Int) {
        self.values = values
        self.shingleCount = shingleCount
    }
}

/// Computes signatures under one set of parameters.
public struct MinHasher: Sendable {
    public let parameters: DedupParameters
    let a: [UInt64]
    let b: [UInt64]
    let binSalt: UInt64
    let densifySalt: UInt64

    public init(parameters: DedupParameters) {
        self.parameters = parameters
        var state = parameters.seed
        func next() -> UInt64 {  // splitmix64: a fixed, documented sequence
            state &+= 0x9e37_79b9_7f4a_7c15
            return StableHash.mix(state)
        }
        binSalt = next()
        densifySalt = next()
        let classic = parameters.scheme == .classic
        a = classic ? (0..<parameters.permutations).map { _ in next() | 1 } : []
        b = classic ? (0..<parameters.permutations).map { _ in next() } : []
    }

    /// Signature values keep the low 32 bits of each minimum: two different minima then agree with
    /// probability 2^-32, and a signature stores in 4 bytes a value. (The low bits, because the high
    /// bits choose the bin in one permutation hashing.)
    public func signature(shingles: [UInt64]) -> [UInt64] {
        let full: [UInt64]
        switch parameters.scheme {
        case .classic: full = classicSignature(shingles)
        case .onePermutation: full = onePermutationSignature(shingles)
        }
        return full.map { $0 & 0xFFFF_FFFF }
    }

    /// Classic MinHash: `a·x + b mod 2^64` with odd `a` per permutation (a bijection on well-mixed hashes).
    func classicSignature(_ shingles: [UInt64]) -> [UInt64] {
        var mins = [UInt64](repeating: .max, count: parameters.permutations)
        mins.withUnsafeMutableBufferPointer { out in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for x in shingles {
                        for i in 0..<out.count {
                            let v = a[i] &* x &+ b[i]
                            if v < out[i] { out[i] = v }
                        }
                    }
                }
            }
        }
        return mins
    }

    /// One permutation hashing: each shingle lands in one of P bins (by the high bits of one hash) and
    /// each bin keeps its minimum. Empty bins copy a non-empty bin chosen by a hash of (bin, attempt)
    /// — optimal densification — so two texts fill an empty bin from the same place.
    func onePermutationSignature(_ shingles: [UInt64]) -> [UInt64] {
        let p = parameters.permutations
        var bins = [UInt64](repeating: .max, count: p)
        let salt = binSalt
        bins.withUnsafeMutableBufferPointer { bins in
            for x in shingles {
                let v = StableHash.mix(x ^ salt)
                let bin = Int(v.multipliedFullWidth(by: UInt64(p)).high)
                if v < bins[bin] { bins[bin] = v }
            }
        }
        guard bins.contains(.max) else { return bins }
        var filled = bins
        for i in 0..<p where bins[i] == .max {
            var attempt: UInt64 = 0
            while true {
                let r = StableHash.mix(densifySalt ^ (UInt64(i) << 32 | attempt))
                let j = Int(r.multipliedFullWidth(by: UInt64(p)).high)
                if bins[j] != .max { filled[i] = bins[j]; break }
                attempt += 1
            }
        }
        return filled
    }

    /// The fraction of equal positions: the estimate of the Jaccard similarity of the two shingle sets.
    public static func similarity(_ x: [UInt64], _ y: [UInt64]) -> Double {
        guard x.count == y.count, !x.isEmpty else { return 0 }
        var equal = 0
        x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                for i in 0..<x.count where x[i] == y[i] { equal += 1 }
            }
        }
        return Double(equal) / Double(x.count)
    }
}
