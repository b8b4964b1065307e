/// How a verified candidate matched.
public enum MatchKind: String, Sendable, Codable {
    /// Estimated Jaccard similarity at or above the threshold.
    case resemblance
    /// One text is (nearly) contained in the other: a truncated copy, or an article inside a longer page.
    case containment
}

/// A verified candidate.
public struct Match: Sendable, Equatable {
    public var id: Int64
    public var similarity: Double
    public var containment: Double
    public var kind: MatchKind
}

/// Everything stage 3 computes without the store: exact-text hash, signature, bucket keys, and the
/// verification of LSH candidates.
public struct Deduplicator: Sendable {
    public let parameters: DedupParameters
    public let hasher: MinHasher
    public let banding: LSHBanding

    /// Containment is searched down to this Jaccard similarity: a copy at least 60% as long as the
    /// other text. The banding finds pairs there with probability >= 0.95.
    public static let containmentSearchFloor = 0.6
    /// Below this estimated similarity a containment estimate is too noisy to act on.
    public static let containmentMinSimilarity = 0.5

    public init(parameters: DedupParameters = DedupParameters()) {
        self.parameters = parameters
        hasher = MinHasher(parameters: parameters)
        banding = LSHBanding.forThreshold(Self.searchFloor(parameters), permutations: parameters.permutations)
    }

    /// The lowest similarity the banding must find with probability 0.95.
    static func searchFloor(_ parameters: DedupParameters) -> Double {
        parameters.containment > 0 ? min(parameters.threshold, containmentSearchFloor) : parameters.threshold
    }

    /// Hash of the matching key's words: equal for texts that differ only in case, punctuation,
    /// spacing or look-alike letters.
    public func textHash(_ text: String) -> String {
        var h = StableHash.Incremental(seed: parameters.seed)
        for word in WordHashes.of(text, seed: parameters.seed) {
            withUnsafeBytes(of: word.littleEndian) { for byte in $0 { h.add(byte) } }
        }
        let hex = String(h.finish(), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public func signature(of text: String) -> Signature? { hasher.signature(of: text) }

    public func bucketKeys(_ signature: Signature) -> [Int64] { banding.bucketKeys(signature.values) }

    /// What a signature's compatibility depends on; stored beside the signatures and checked on start.
    public var fingerprint: String {
        "scheme=\(parameters.scheme.rawValue) shingles=\(parameters.shingleSize) permutations=\(parameters.permutations) seed=\(parameters.seed) bands=\(banding.bands)x\(banding.rows)"
    }

    /// Verifies one candidate: its estimated similarity, and its containment estimated from the
    /// similarity and both shingle counts (|A∩B| = J(|A|+|B|)/(1+J), over the smaller set).
    public func verify(_ query: Signature, against candidate: Signature, id: Int64) -> Match? {
        let j = MinHasher.similarity(query.values, candidate.values)
        let smaller = Double(max(1, min(query.shingleCount, candidate.shingleCount)))
        let intersection = j * Double(query.shingleCount + candidate.shingleCount) / (1 + j)
        let containment = min(1, intersection / smaller)
        if j >= parameters.threshold { return Match(id: id, similarity: j, containment: containment, kind: .resemblance) }
        if parameters.containment > 0, j >= Self.containmentMinSimilarity, containment >= parameters.containment {
            return Match(id: id, similarity: j, containment: containment, kind: .containment)
        }
        return nil
    }

    /// The best verified match: resemblance before containment, then the highest similarity, then the
    /// older article, so the result does not depend on candidate order.
    public func bestMatch(for signature: Signature, among candidates: [(id: Int64, signature: Signature)]) -> Match? {
        var best: Match?
        for candidate in candidates {
            guard let match = verify(signature, against: candidate.signature, id: candidate.id) else { continue }
            if let current = best {
                let better = (match.kind == .resemblance && current.kind == .containment)
                    || (match.kind == current.kind && (match.similarity > current.similarity
                        || (match.similarity == current.similarity && match.id < current.id)))
                if !better { continue }
            }
            best = match
        }
        return best
    }
}
