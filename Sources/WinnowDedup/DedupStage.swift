import Foundation

/// Stage 3: decides each cleaned article's verdict (new, duplicate, exact duplicate; its cluster and
/// the cluster's canonical article) and has the store keep it. Every decision is made here, against
/// the narrow `DedupStore` protocol, so each store holds only storage: the SQLite store and an
/// in-memory one in the tests give the same verdicts on the same articles.
///
/// Clusters are the connected groups of matching articles, whatever order the articles came in: an
/// article that matches members of several clusters joins them into the oldest. (Near-duplicate
/// matches only: an exact duplicate by URL or guid is not indexed, even when its text differs.) (Joining only the
/// best match's cluster made clusters depend on arrival order: the same 6,000 documents ingested
/// in reverse gave pair precision and recall of 0.95 against file order, and several processes
/// sharing one PostgreSQL store could not give one process's clusters.)
public struct DedupStage: Sendable {
    public let deduplicator: Deduplicator
    public let policy: CanonicalPolicy

    public init(deduplicator: Deduplicator, policy: CanonicalPolicy = CanonicalPolicy()) {
        self.deduplicator = deduplicator
        self.policy = policy
    }

    /// Moves a batch of articles to stage 3 in one transaction (all or none of the batch): exact
    /// duplicates first (same text hash, URL or guid), else MinHash signature, LSH candidates verified by
    /// estimated similarity and containment, and the matches' clusters joined. Articles of the batch
    /// find each other as if stored one at a time.
    ///
    /// Signatures are the expensive part, and need no store: another core computes them a slice ahead
    /// of the transaction, which waits only for the first slice, and each slice's bucket rows are read
    /// in one sorted pass (`prefetch`). `known` holds the fingerprints made earlier, article by article
    /// (`Deduplicator.articleFingerprint(of:)` of exactly the article's text; nil where none was made).
    public func run<Store: DedupStore>(_ articles: [CleanArticle], in store: Store,
                                       at time: Double = Date().timeIntervalSince1970,
                                       known: [ArticleFingerprint?] = []) throws -> [DedupResult] {
        let fingerprints = FingerprintSlices(articles, with: deduplicator, known: known)
        return try store.withDedupTransaction(at: time) { transaction in
            let preferred = try feedRanks(transaction)
            var results: [DedupResult] = []
            results.reserveCapacity(articles.count)
            for slice in fingerprints.slices.indices {
                let ready = fingerprints.wait(slice)
                let keys = ready.flatMap { $0.keys }
                try transaction.reserve(fingerprints.slices[slice].map { articles[$0] }, keys: keys)
                try transaction.prefetch(keys: keys)
                for (i, prepared) in zip(fingerprints.slices[slice], ready) {
                    results.append(try decideAndStore(articles[i], fingerprint: prepared.fingerprint, keys: prepared.keys,
                                                    in: &transaction, preferred: preferred))
                }
            }
            return results
        }
    }

    /// What `run` would decide for an article, without writing anything (for tools, and for measuring
    /// the query alone). The cluster id is the one the article would join, 0 for a new one.
    public func match<Store: DedupStore>(_ article: CleanArticle, in store: Store) throws -> DedupResult {
        let fingerprint = deduplicator.fingerprint(of: article.text)
        let keys = fingerprint.map { deduplicator.bucketKeys($0.signature) } ?? []
        return try store.withDedupReadTransaction { transaction in
            try transaction.prefetch(keys: keys)
            var decision = try verdict(for: article, fingerprint: fingerprint, keys: keys, in: transaction)
            decision.result.clusterID = decision.cluster ?? 0
            return decision.result
        }
    }

    /// Decides one article and stores it within the batch's transaction.
    func decideAndStore<Transaction: DedupTransaction>(_ article: CleanArticle, fingerprint: Fingerprint?, keys: [Int64],
                                                      in transaction: inout Transaction, preferred: [Int64: Int]) throws -> DedupResult {
        let decision = try verdict(for: article, fingerprint: fingerprint, keys: keys, in: transaction)
        var becomesCanonical = false
        if let cluster = decision.cluster {
            var current = try transaction.canonicalArticle(cluster: cluster)
            if !decision.merged.isEmpty {
                // The merged cluster keeps the canonical article the policy prefers among theirs.
                for other in decision.merged {
                    guard let candidate = try transaction.canonicalArticle(cluster: other) else { continue }
                    if let kept = current, !prefers(candidate, over: kept, preferred: preferred) { continue }
                    current = candidate
                }
                try transaction.mergeClusters(decision.merged, into: cluster, canonical: current?.articleID)
            }
            becomesCanonical = replacesCanonical(article, current: current, preferred: preferred)
        }
        // Exact duplicates add nothing to the index: their signature equals their original's.
        let indexed = decision.result.status != .exactDuplicate ? fingerprint : nil
        return try transaction.insert(article, verdict: decision.result, cluster: decision.cluster, becomesCanonical: becomesCanonical,
                                      signature: indexed?.signature, keys: indexed == nil ? [] : keys)
    }

    /// What the read half of dedup decides for one article.
    public struct Decision: Sendable {
        /// The verdict (article and cluster ids still 0).
        public var result: DedupResult
        /// The cluster to join (nil: a new one): the oldest of the clusters the article matches into.
        public var cluster: Int64?
        /// The other clusters the article matches into, to be merged into `cluster`.
        public var merged: [Int64] = []
    }

    /// The read half of dedup: exact duplicates first, then LSH candidates verified.
    public func verdict<Transaction: DedupTransaction>(for article: CleanArticle, fingerprint: Fingerprint?, keys: [Int64],
                                                       in transaction: Transaction) throws -> Decision {
        var result = DedupResult(articleID: 0, status: .new, clusterID: 0)
        // Exact duplicates: same normalized text, same article URL, or the same guid from another feed;
        // the earliest such article, by text before URL before guid when one article matches more ways.
        var exact: (found: StoredArticle, kind: String)?
        func consider(_ found: StoredArticle?, _ kind: String) {
            guard let found, exact.map({ found.id < $0.found.id }) ?? true else { return }
            exact = (found, kind)
        }
        consider(try transaction.earliestArticle(textHash: article.textHash), "text")
        if let url = article.url { consider(try transaction.earliestArticle(url: url), "url") }
        if let guid = Self.globallyUnique(article.guid) {
            consider(try transaction.earliestArticle(guid: guid, notFromFeed: article.feedID), "guid")
        }
        if let exact {
            result.status = .exactDuplicate
            result.duplicateOf = exact.found.id
            result.similarity = 1
            result.matchKind = exact.kind
            // Asked of the store rather than taken from the lookup: a shared store holds the cluster here.
            return Decision(result: result, cluster: try transaction.holdClusters(of: [exact.found.id])[exact.found.id] ?? exact.found.clusterID)
        }
        guard var fingerprint, !keys.isEmpty else { return Decision(result: result) }
        var found: [(id: Int64, signature: Signature)] = []
        for id in try transaction.candidates(keys: keys) {
            if let signature = try transaction.signature(articleID: id) { found.append((id, signature)) }
        }
        // A fingerprint kept without its shingles gets them back when there is a candidate to check.
        if !found.isEmpty, !fingerprint.hasShingles {
            fingerprint.shingles = deduplicator.fingerprint(of: article.text)?.shingles ?? []
        }
        // Exact verification reads the candidate's cleaned text; only candidates the estimate cannot rule
        // out get here, and one match a cluster is enough. The clusters asked for here are a plain read:
        // clusters only ever merge, so two candidates seen in one cluster are in one cluster still.
        let matches = try deduplicator.matches(for: fingerprint, among: found, groups: { try transaction.clusters(of: $0) }) { id in
            try transaction.text(articleID: id).map(deduplicator.shingleSet)
        }
        guard let best = matches.first else { return Decision(result: result) }
        result.status = .duplicate
        result.duplicateOf = best.id
        result.similarity = best.similarity
        result.containment = best.containment
        result.matchKind = best.kind.rawValue
        let clusters = Deduplicator.sortedUnique(try transaction.holdClusters(of: matches.map(\.id)).map(\.value))
        return Decision(result: result, cluster: clusters.first, merged: Array(clusters.dropFirst()))
    }

    /// Keeps one canonical article per cluster: a preferred feed's article first, then the earliest
    /// (the default) or the longest.
    func replacesCanonical(_ article: CleanArticle, current: CanonicalCandidate?, preferred: [Int64: Int]) -> Bool {
        guard let current else { return true }
        return prefers(CanonicalCandidate(articleID: .max, feedID: article.feedID, length: article.text.utf8.count), over: current,
                       preferred: preferred)
    }

    /// Whether `candidate` should be a cluster's canonical article rather than `current`: a preferred
    /// feed's first, then the earlier article (the default) or the longer one.
    func prefers(_ candidate: CanonicalCandidate, over current: CanonicalCandidate, preferred: [Int64: Int]) -> Bool {
        let currentRank = preferred[current.feedID] ?? Int.max
        let newRank = preferred[candidate.feedID] ?? Int.max
        if newRank != currentRank { return newRank < currentRank }
        if policy.rule == .longest, candidate.length != current.length { return candidate.length > current.length }
        return candidate.articleID < current.articleID
    }

    /// The preferred feeds' ids, most preferred first (rank 0).
    func feedRanks<Transaction: DedupTransaction>(_ transaction: Transaction) throws -> [Int64: Int] {
        guard !policy.preferredFeeds.isEmpty else { return [:] }
        let ids = try transaction.feedIDs(named: policy.preferredFeeds)
        var ranks: [Int64: Int] = [:]
        for (rank, name) in policy.preferredFeeds.enumerated() {
            if let id = ids[name], ranks[id] == nil { ranks[id] = rank }
        }
        return ranks
    }

    /// A guid that names the article everywhere (a URL, a tag: or urn: URI). Short guids such as "123"
    /// are unique only within their feed and must never match across feeds; the store keeps only these.
    public static func globallyUnique(_ guid: String) -> String? {
        let lower = guid.lowercased()
        return lower.contains("://") || lower.hasPrefix("tag:") || lower.hasPrefix("urn:") ? guid : nil
    }
}
