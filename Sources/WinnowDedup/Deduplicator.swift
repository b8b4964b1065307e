/// Everything stage 3 computes without the store: exact-text hash, signature, bucket keys, and the
/// choice of the best verified match among LSH candidates.
public struct Deduplicator: Sendable {
    public let parameters: DedupParameters
    public let hasher: MinHasher
    public let banding: LSHBanding

    public init(parameters: DedupParameters = DedupParameters()) {
        self.parameters = parameters
        hasher = MinHasher(parameters: parameters)
        banding = LSHBanding.forThreshold(parameters.threshold, permutations: parameters.permutations)
    }

    /// Hash of the matching key: equal for texts that differ only in case, punctuation, spacing or look-alikes.
    public func textHash(_ text: String) -> String {
        let h = StableHash.hash(MatchingKey.key(text), seed: parameters.seed)
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// What a signature's compatibility depends on; stored beside the signatures and checked on start.
    public var fingerprint: String {
        "shingles=\(parameters.shingleSize) permutations=\(parameters.permutations) seed=\(parameters.seed) bands=\(banding.bands)x\(banding.rows)"
    }

    /// The candidate with the highest estimated Jaccard similarity at or above the threshold.
    public func bestMatch(for signature: [UInt64], among candidates: [(id: Int64, signature: [UInt64])]) -> (id: Int64, similarity: Double)? {
        var best: (id: Int64, similarity: Double)?
        for candidate in candidates {
            let s = MinHasher.similarity(signature, candidate.signature)
            // Ties go to the older article (smaller id), so the result does not depend on candidate order.
            if s >= parameters.threshold, best == nil || s > best!.similarity || (s == best!.similarity && candidate.id < best!.id) {
                best = (candidate.id, s)
            }
        }
        return best
    }
}
