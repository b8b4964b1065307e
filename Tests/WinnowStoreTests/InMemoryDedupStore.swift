import WinnowDedup

/// A dedup store made of plain dictionaries and nothing of WinnowStore's: that `DedupStage` gives the
/// same verdicts against it as against SQLite shows the stage needs nothing but the protocol. A
/// transaction works on a copy of the state, which replaces the state only when the batch succeeds.
final class InMemoryDedupStore: DedupStore, @unchecked Sendable {
    struct Stored {
        var article: CleanArticle
        var verdict: DedupResult
        var signature: Signature?
    }

    struct State {
        var articles: [Int64: Stored] = [:]
        var clusters: [Int64: (canonical: Int64, size: Int)] = [:]
        var buckets: [Int64: [Int64]] = [:]
        var nextID: Int64 = 1
    }

    private(set) var state = State()
    let feeds: [String: Int64]

    init(feeds: [String: Int64] = [:]) { self.feeds = feeds }

    struct Transaction: DedupTransaction {
        var state: State
        let feeds: [String: Int64]

        /// The earliest stored article, not an exact duplicate, that `matches`.
        func earliest(_ matches: (Stored) -> Bool) -> StoredArticle? {
            state.articles.values.filter { $0.verdict.status != .exactDuplicate && matches($0) }
                .min { $0.verdict.articleID < $1.verdict.articleID }
                .map { StoredArticle(id: $0.verdict.articleID, clusterID: $0.verdict.clusterID) }
        }

        func earliestArticle(textHash: String) throws -> StoredArticle? { earliest { $0.article.textHash == textHash } }
        func earliestArticle(url: String) throws -> StoredArticle? { earliest { $0.article.url == url } }
        func earliestArticle(guid: String, notFromFeed feedID: Int64) throws -> StoredArticle? {
            earliest { $0.article.guid == guid && $0.article.feedID != feedID }
        }
        mutating func prefetch(keys: [Int64]) throws {}
        func candidates(keys: [Int64]) throws -> [Int64] {
            Deduplicator.sortedUnique(keys.flatMap { state.buckets[$0] ?? [] })
        }
        func signature(articleID: Int64) throws -> Signature? { state.articles[articleID]?.signature }
        func text(articleID: Int64) throws -> String? { state.articles[articleID]?.article.text }
        func clusters(of articleIDs: [Int64]) throws -> [Int64: Int64] {
            Dictionary(uniqueKeysWithValues: articleIDs.compactMap { id in state.articles[id].map { (id, $0.verdict.clusterID) } })
        }
        mutating func mergeClusters(_ merged: [Int64], into survivor: Int64, canonical: Int64?) throws {
            for cluster in merged {
                for id in state.articles.keys where state.articles[id]!.verdict.clusterID == cluster {
                    state.articles[id]!.verdict.clusterID = survivor
                }
                state.clusters[survivor]!.size += state.clusters.removeValue(forKey: cluster)!.size
            }
            if let canonical { state.clusters[survivor]!.canonical = canonical }
        }
        func canonicalArticle(cluster: Int64) throws -> CanonicalCandidate? {
            guard let id = state.clusters[cluster]?.canonical, let stored = state.articles[id] else { return nil }
            return CanonicalCandidate(articleID: id, feedID: stored.article.feedID, length: stored.article.text.utf8.count)
        }
        func feedIDs(named names: [String]) throws -> [String: Int64] { feeds.filter { names.contains($0.key) } }

        mutating func insert(_ article: CleanArticle, verdict: DedupResult, cluster: Int64?, becomesCanonical: Bool,
                             signature: Signature?, keys: [Int64]) throws -> DedupResult {
            var result = verdict
            result.articleID = state.nextID
            state.nextID += 1
            if let cluster {
                result.clusterID = cluster
                state.clusters[cluster, default: (result.articleID, 0)].size += 1
                if becomesCanonical { state.clusters[cluster]?.canonical = result.articleID }
            } else {
                result.clusterID = result.articleID
                state.clusters[result.articleID] = (result.articleID, 1)
            }
            state.articles[result.articleID] = Stored(article: article, verdict: result, signature: signature)
            if signature != nil { for key in keys { state.buckets[key, default: []].append(result.articleID) } }
            return result
        }
    }

    func withDedupTransaction<Result: Sendable>(at time: Double, _ body: (inout Transaction) throws -> Result) throws -> Result {
        var transaction = Transaction(state: state, feeds: feeds)
        let result = try body(&transaction)
        state = transaction.state
        return result
    }

    func withDedupReadTransaction<Result: Sendable>(_ body: (inout Transaction) throws -> Result) throws -> Result {
        var transaction = Transaction(state: state, feeds: feeds)
        return try body(&transaction)
    }

    /// Each cluster's canonical article.
    var canonicals: [Int64: Int64] { state.clusters.mapValues(\.canonical) }
}
