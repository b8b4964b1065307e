/// Parameters that define a signature. Signatures made with different parameters are not comparable,
/// so every stored signature records them.
public struct DedupParameters: Sendable, Codable, Equatable {
    public var shingleSize: Int
    public var permutations: Int
    public var threshold: Double
    public var seed: UInt64

    public init(shingleSize: Int = 5, permutations: Int = 128, threshold: Double = 0.8, seed: UInt64 = 0x5717_4E0B_D3D0_2A11) {
        self.shingleSize = shingleSize
        self.permutations = permutations
        self.threshold = threshold
        self.seed = seed
    }
}

/// Word k-shingles hashed to 64 bits, deduplicated.
public enum Shingles {
    public static func hashes(words: [Substring], size k: Int, seed: UInt64) -> [UInt64] {
        guard !words.isEmpty else { return [] }
        let wordHashes = words.map { StableHash.hash($0.utf8, seed: seed) }
        // A text shorter than k words is one shingle of all its words.
        let width = min(k, wordHashes.count)
        var result = Set<UInt64>(minimumCapacity: wordHashes.count)
        for start in 0...(wordHashes.count - width) {
            var h = seed
            for i in start..<(start + width) { h = StableHash.mix(h ^ wordHashes[i]) &+ 0x9e37_79b9_7f4a_7c15 }
            result.insert(h)
        }
        return Array(result)
    }
}

/// Classic MinHash: P independent permutations of the 64-bit shingle hashes, approximated by
/// `a·x + b mod 2^64` with odd `a` (a bijection on the well-mixed shingle hashes), keeping the minimum of each.
public struct MinHasher: Sendable {
    public let parameters: DedupParameters
    let a: [UInt64]
    let b: [UInt64]

    public init(parameters: DedupParameters) {
        self.parameters = parameters
        var state = parameters.seed
        func next() -> UInt64 {  // splitmix64: fixed, documented sequence
            state &+= 0x9e37_79b9_7f4a_7c15
            return StableHash.mix(state)
        }
        a = (0..<parameters.permutations).map { _ in next() | 1 }
        b = (0..<parameters.permutations).map { _ in next() }
    }

    /// The signature of a text (after `MatchingKey`), or nil for a text with no words.
    public func signature(of text: String) -> [UInt64]? {
        let shingles = Shingles.hashes(words: MatchingKey.words(text), size: parameters.shingleSize, seed: parameters.seed)
        return shingles.isEmpty ? nil : signature(shingles: shingles)
    }

    public func signature(shingles: [UInt64]) -> [UInt64] {
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

    /// The fraction of equal positions: an unbiased estimate of the Jaccard similarity of the two shingle sets.
    public static func similarity(_ x: [UInt64], _ y: [UInt64]) -> Double {
        guard x.count == y.count, !x.isEmpty else { return 0 }
        var equal = 0
        for i in 0..<x.count where x[i] == y[i] { equal += 1 }
        return Double(equal) / Double(x.count)
    }
}
