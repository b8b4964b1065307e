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
    /// Jaccard similarity of the two shingle sets: exact when `exact`, else the signature estimate.
    public var similarity: Double
    /// The share of the smaller set found in the larger.
    public var containment: Double
    public var kind: MatchKind
    public var exact: Bool
}

/// An article's fingerprint with its LSH bucket keys (none when the text has no shingles). Pure work on
/// the text: the stage runner makes it on the cleaning threads and hands it to stage 3 with the article.
public struct ArticleFingerprint: Sendable {
    public var fingerprint: Fingerprint?
    public var keys: [Int64]

    public init(fingerprint: Fingerprint?, keys: [Int64]) {
        self.fingerprint = fingerprint
        self.keys = keys
    }

    /// The same without the fingerprint's shingles (`Fingerprint.withoutShingles`).
    public var withoutShingles: ArticleFingerprint { ArticleFingerprint(fingerprint: fingerprint?.withoutShingles, keys: keys) }
}

/// What dedup knows of one text: its signature, and its shingle hashes for exact verification.
public struct Fingerprint: Sendable {
    public var signature: Signature
    /// Shingle hashes in text order (repeats included): sorting them is left to the rare exact check.
    public var shingles: [UInt64]

    public init(signature: Signature, shingles: [UInt64]) {
        self.signature = signature
        self.shingles = shingles
    }

    /// The sorted, unique shingle set.
    public var shingleSet: [UInt64] { Deduplicator.sortedUnique(shingles) }

    /// The fingerprint without its shingles (a seventh of the size, at news length), for one kept a
    /// while: the shingles are needed only when a candidate is checked exactly, which is rare, and
    /// `DedupStage` makes them again from the article's text then (`hasShingles` tells).
    public var withoutShingles: Fingerprint { Fingerprint(signature: signature, shingles: []) }

    /// Whether the shingles are here (a text with words has at least one; see `withoutShingles`).
    public var hasShingles: Bool { !shingles.isEmpty || signature.shingleCount == 0 }
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
    public static func searchFloor(_ parameters: DedupParameters) -> Double {
        parameters.containment > 0 ? min(parameters.threshold, containmentSearchFloor) : parameters.threshold
    }

    /// Hash of the matching key's words: equal for texts that differ only in case, punctuation,
    /// spacing or look-alike letters.
    public func textHash(_ text: String) -> String {
        var h = StableHash.Incremental(seed: parameters.seed)
        for word in WordHashes.of(text, seed: parameters.seed) { h.add(word: word) }
        let hex = String(h.finish(), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Sorted, unique shingle hashes of a text.
    public func shingleSet(of text: String) -> [UInt64] {
        Self.sortedUnique(Shingles.hashes(of: text, size: parameters.shingleSize, seed: parameters.seed, bounds: parameters.bounds))
    }

    /// The values sorted, each once (shingle sets, bucket keys, candidate ids).
    @inlinable  // specialized at each caller: other modules sort Int64 ids and keys with it
    public static func sortedUnique<Value: Comparable>(_ values: [Value]) -> [Value] {
        var values = values
        values.sort()
        var unique = 0
        for i in values.indices where i == 0 || values[i] != values[unique - 1] {
            values[unique] = values[i]
            unique += 1
        }
        values.removeLast(values.count - unique)
        return values
    }

    /// Signature and shingles of a text; nil for a text with no words. The signature's shingle count
    /// counts repeats (rare in prose); it only feeds the containment estimate, which exact checks confirm.
    public func fingerprint(of text: String) -> Fingerprint? {
        let shingles = Shingles.hashes(of: text, size: parameters.shingleSize, seed: parameters.seed, bounds: parameters.bounds)
        guard !shingles.isEmpty else { return nil }
        return Fingerprint(signature: Signature(values: hasher.signature(shingles: shingles), shingleCount: shingles.count), shingles: shingles)
    }

    public func signature(of text: String) -> Signature? { fingerprint(of: text)?.signature }

    /// What stage 3 needs of an article's text before it looks anything up: its fingerprint and bucket keys.
    public func articleFingerprint(of text: String) -> ArticleFingerprint {
        let fingerprint = fingerprint(of: text)
        return ArticleFingerprint(fingerprint: fingerprint, keys: fingerprint.map { bucketKeys($0.signature) } ?? [])
    }

    public func bucketKeys(_ signature: Signature) -> [Int64] { banding.bucketKeys(signature.values) }

    /// What a signature's compatibility depends on; stored beside the signatures and checked on start.
    public var fingerprint: String {
        // A store made before bounds existed recorded no bounds: its fingerprint is the `none` one.
        "scheme=\(parameters.scheme.rawValue) shingles=\(parameters.shingleSize) permutations=\(parameters.permutations) seed=\(parameters.seed) bands=\(banding.bands)x\(banding.rows)"
            + (parameters.bounds == .none ? "" : " bounds=\(parameters.bounds.rawValue)")
    }

    /// How far below a bound an estimate may fall and still be checked exactly: about four standard
    /// errors of a 128-value estimate.
    static let prefilterMargin = 0.15

    /// Estimated similarity and containment from two signatures: containment from |A∩B| = J(|A|+|B|)/(1+J).
    public func estimate(_ a: Signature, _ b: Signature) -> (similarity: Double, containment: Double) {
        let j = MinHasher.similarity(a.values, b.values)
        let smaller = Double(max(1, min(a.shingleCount, b.shingleCount)))
        return (j, min(1, j * Double(a.shingleCount + b.shingleCount) / (1 + j) / smaller))
    }

    /// Verifies one candidate. The signature estimate only filters: a candidate near or above a bound is
    /// checked exactly against its shingle set (from `shingles`, typically recomputed from its stored
    /// text), so no pair is judged by estimation noise. Without a shingle set the estimate decides.
    public func verify(_ query: Fingerprint, against candidate: Signature, id: Int64,
                       shingles: () throws -> [UInt64]?) rethrows -> Match? {
        var querySet: [UInt64]?
        return try verify(query, against: candidate, id: id, querySet: &querySet, shingles: shingles)
    }

    /// `verify` that sorts the query's shingle set at most once across many candidates.
    func verify(_ query: Fingerprint, against candidate: Signature, id: Int64, querySet: inout [UInt64]?,
                shingles: () throws -> [UInt64]?) rethrows -> Match? {
        let estimated = estimate(query.signature, candidate)
        guard mayMatch(estimated) else { return nil }
        return try verify(query, estimated: estimated, id: id, querySet: &querySet, shingles: shingles)
    }

    /// Whether an estimate is near or above a bound, so that only an exact check can settle it.
    func mayMatch(_ estimated: (similarity: Double, containment: Double)) -> Bool {
        let maybeResemblance = estimated.similarity >= parameters.threshold - Self.prefilterMargin
        let maybeContainment = parameters.containment > 0
            && estimated.similarity >= Self.containmentMinSimilarity - Self.prefilterMargin
            && estimated.containment >= parameters.containment - Self.prefilterMargin
        return maybeResemblance || maybeContainment
    }

    /// The exact check of a candidate the estimate could not rule out.
    func verify(_ query: Fingerprint, estimated: (similarity: Double, containment: Double), id: Int64, querySet: inout [UInt64]?,
                shingles: () throws -> [UInt64]?) rethrows -> Match? {
        var j = estimated.similarity, c = estimated.containment, exact = false
        if let theirs = try shingles() {
            if querySet == nil { querySet = query.shingleSet }
            (j, c) = Self.compare(querySet!, theirs)
            exact = true
        }
        if j >= parameters.threshold { return Match(id: id, similarity: j, containment: c, kind: .resemblance, exact: exact) }
        if parameters.containment > 0, j >= Self.containmentMinSimilarity, c >= parameters.containment {
            return Match(id: id, similarity: j, containment: c, kind: .containment, exact: exact)
        }
        return nil
    }

    /// Exact Jaccard similarity and containment (share of the smaller set in the larger) of two
    /// sorted, unique shingle sets.
    public static func compare(_ a: [UInt64], _ b: [UInt64]) -> (similarity: Double, containment: Double) {
        let intersection = intersectionCount(a, b)
        let union = a.count + b.count - intersection
        return (union == 0 ? 0 : Double(intersection) / Double(union), Double(intersection) / Double(max(1, min(a.count, b.count))))
    }

    /// Size of the intersection of two sorted, unique arrays.
    static func intersectionCount(_ a: [UInt64], _ b: [UInt64]) -> Int {
        var i = 0, j = 0, count = 0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                while i < a.count && j < b.count {
                    if a[i] == b[j] { count += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
                }
            }
        }
        return count
    }

    /// The best verified match: resemblance before containment, then the highest similarity, then the
    /// older article, so the result does not depend on candidate order.
    public func bestMatch(for query: Fingerprint, among candidates: [(id: Int64, signature: Signature)],
                          shingles: (Int64) throws -> [UInt64]?) rethrows -> Match? {
        try matches(for: query, among: candidates, groups: { _ in [:] }, shingles: shingles).first
    }

    /// Every verified match, the best first (as `bestMatch` ranks them). Dedup needs every cluster an
    /// article matches into (it joins them, so that clusters do not depend on arrival order), but
    /// one match a cluster is enough: given `groups` (the clusters of the candidates the estimate
    /// leaves, asked only when two or more are left), candidates are checked in order of estimated
    /// similarity and a group's others are passed over once one matched. A story's tenth copy so reads
    /// and shingles one stored text instead of nine; and the match reported is the best among those
    /// checked, one a cluster, which may be a near-equal member other than the very best.
    public func matches(for query: Fingerprint, among candidates: [(id: Int64, signature: Signature)],
                        groups: ([Int64]) throws -> [Int64: Int64],
                        shingles: (Int64) throws -> [UInt64]?) rethrows -> [Match] {
        // The estimate rules most candidates out; only the rest need their cluster or an exact check.
        var left: [(id: Int64, estimated: (similarity: Double, containment: Double))] = candidates.compactMap { candidate in
            let estimated = estimate(query.signature, candidate.signature)
            return mayMatch(estimated) ? (candidate.id, estimated) : nil
        }
        var groupOf: [Int64: Int64] = [:]
        if left.count > 1 {
            groupOf = try groups(left.map(\.id))
            if Set(left.compactMap { groupOf[$0.id] }).count < left.count {
                left.sort { ($0.estimated.similarity, -$0.id) > ($1.estimated.similarity, -$1.id) }
            }
        }
        var found: [Match] = []
        var matchedGroups = Set<Int64>()
        var querySet: [UInt64]?
        for candidate in left {
            let group = groupOf[candidate.id]
            if let group, matchedGroups.contains(group) { continue }
            if let match = try verify(query, estimated: candidate.estimated, id: candidate.id, querySet: &querySet,
                                      shingles: { try shingles(candidate.id) }) {
                found.append(match)
                if let group { matchedGroups.insert(group) }
            }
        }
        return found.count > 1 ? found.sorted(by: Self.isBetter) : found
    }

    static func isBetter(_ a: Match, than b: Match) -> Bool {
        if a.kind != b.kind { return a.kind == .resemblance }
        if a.similarity != b.similarity { return a.similarity > b.similarity }
        return a.id < b.id
    }
}
