import Foundation
import GRDB
import WinnowDedup

/// The SQLite store's side of the dedup protocol: one stage-3 batch inside one write transaction (or
/// a read-only one, for `DedupStage.match`). Bucket rows come from the writer's in-memory copy of the
/// recent rows, the runs and `lsh_buckets` (read a slice at a time by `prefetch`, behind the key
/// filter), and the batch's own articles, indexed in memory and appended to `lsh_recent` at the end.
public struct SQLiteDedupTransaction: DedupTransaction {
    let db: Database
    /// The writer's refreshed view of the bucket tables, read only here.
    let recent: RecentBuckets
    var buckets = BatchBuckets()
    /// The id the next stored article gets (this is the only writer).
    var nextID: Int64
    let time: Double
    /// Articles stored, and of those duplicates, for the maintained counts.
    var stored = 0
    var duplicates = 0
    /// Clusters merged into older ones.
    var mergedClusters = 0

    init(_ db: Database, recent: RecentBuckets, time: Double) throws {
        self.db = db
        self.recent = recent
        self.time = time
        nextID = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM articles")!
    }

    // One indexed lookup each: a single query ORing the three made SQLite gather and sort row ids.
    public func earliestArticle(textHash: String) throws -> StoredArticle? {
        try earliest("SELECT id, cluster_id FROM articles WHERE text_hash = ? AND status != 'exact-duplicate' ORDER BY id LIMIT 1", [textHash])
    }

    public func earliestArticle(url: String) throws -> StoredArticle? {
        try earliest("SELECT id, cluster_id FROM articles WHERE url = ? AND status != 'exact-duplicate' ORDER BY id LIMIT 1", [url])
    }

    public func earliestArticle(guid: String, notFromFeed feedID: Int64) throws -> StoredArticle? {
        try earliest("SELECT id, cluster_id FROM articles WHERE guid = ? AND feed_id != ? AND status != 'exact-duplicate' ORDER BY id LIMIT 1",
                     [guid, feedID])
    }

    private func earliest(_ sql: String, _ arguments: StatementArguments) throws -> StoredArticle? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).map { StoredArticle(id: $0[0], clusterID: $0[1]) }
    }

    public mutating func prefetch(keys: [Int64]) throws {
        try buckets.prefetch(db, keys: keys, filter: recent.stored, runs: recent.runs)
    }

    public func candidates(keys: [Int64]) throws -> [Int64] {
        buckets.candidates(keys, recent: recent.chains)
    }

    public func signature(articleID: Int64) throws -> Signature? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT shingle_count, signature FROM signatures WHERE article_id = ?"), arguments: [articleID])
            .map { Signature(values: StoreText.signature(from: $0[1] as Data), shingleCount: $0[0]) }
    }

    public func text(articleID: Int64) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT c.text FROM articles a JOIN clean_articles c ON c.id = a.clean_article_id WHERE a.id = ?"),
                            arguments: [articleID])
    }

    /// One lookup an article: this is the only writer, so nothing needs holding (`holdClusters` is this).
    public func clusters(of articleIDs: [Int64]) throws -> [Int64: Int64] {
        var clusters: [Int64: Int64] = [:]
        for id in articleIDs {
            if let cluster = try Int64.fetchOne(db.cachedStatement(sql: "SELECT cluster_id FROM articles WHERE id = ?"), arguments: [id]) {
                clusters[id] = cluster
            }
        }
        return clusters
    }

    public mutating func mergeClusters(_ merged: [Int64], into survivor: Int64, canonical: Int64?) throws {
        for cluster in merged {
            try db.cachedStatement(sql: "UPDATE articles SET cluster_id = ? WHERE cluster_id = ?").execute(arguments: [survivor, cluster])
            try db.cachedStatement(sql: """
                UPDATE clusters SET size = size + (SELECT size FROM clusters WHERE id = ?), updated_at = ?,
                    canonical_article_id = coalesce(?, canonical_article_id)
                WHERE id = ?
                """).execute(arguments: [cluster, time, canonical, survivor])
            try db.cachedStatement(sql: "DELETE FROM clusters WHERE id = ?").execute(arguments: [cluster])
        }
        mergedClusters += merged.count
    }

    public func canonicalArticle(cluster: Int64) throws -> CanonicalCandidate? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.id, a.feed_id, length(CAST(t.text AS BLOB))
            FROM clusters c JOIN articles a ON a.id = c.canonical_article_id JOIN clean_articles t ON t.id = a.clean_article_id
            WHERE c.id = ?
            """), arguments: [cluster]).map { CanonicalCandidate(articleID: $0[0], feedID: $0[1], length: $0[2]) }
    }

    public func feedIDs(named names: [String]) throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        for name in names {
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM feeds WHERE name = ?", arguments: [name]) { ids[name] = id }
        }
        return ids
    }

    public mutating func insert(_ article: CleanArticle, verdict: DedupResult, cluster: Int64?, becomesCanonical: Bool,
                                signature: Signature?, keys: [Int64]) throws -> DedupResult {
        let articleID = nextID
        nextID += 1
        var result = verdict
        result.articleID = articleID
        if let cluster {
            result.clusterID = cluster
        } else {
            // A new cluster takes the id of its first article, which is its canonical one until another wins.
            try db.cachedStatement(sql: "INSERT INTO clusters (id, canonical_article_id, size, created_at, updated_at) VALUES (?, ?, 1, ?, ?)")
                .execute(arguments: [articleID, articleID, time, time])
            result.clusterID = articleID
        }
        try db.cachedStatement(sql: """
            INSERT INTO articles (id, clean_article_id, feed_id, guid, url, title, author, published_at, text_hash,
                                  status, cluster_id, duplicate_of, similarity, containment, match_kind, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                articleID, article.id, article.feedID, DedupStage.globallyUnique(article.guid), article.url, article.title,
                article.author, article.publishedAt, article.textHash, result.status.rawValue, result.clusterID,
                result.duplicateOf, result.similarity, result.containment, result.matchKind, time,
            ])
        try db.cachedStatement(sql: "DELETE FROM dedup_queue WHERE clean_article_id = ?").execute(arguments: [article.id])
        if cluster != nil {
            try db.cachedStatement(sql: """
                UPDATE clusters SET size = size + 1, updated_at = ?, canonical_article_id = CASE WHEN ? THEN ? ELSE canonical_article_id END
                WHERE id = ?
                """).execute(arguments: [time, becomesCanonical, articleID, result.clusterID])
        }
        if let signature {
            try db.cachedStatement(sql: "INSERT INTO signatures (article_id, shingle_count, signature) VALUES (?, ?, ?)")
                .execute(arguments: [articleID, signature.shingleCount, Data(StoreText.signatureBytes(signature.values))])
            if !keys.isEmpty { buckets.add(keys, article: articleID) }
        }
        stored += 1
        if result.status != .new { duplicates += 1 }
        return result
    }
}

extension ArticleStore: DedupStore {
    /// One stage-3 batch in one write transaction: the writer's bucket view is refreshed from what is
    /// committed, the batch's bucket rows are appended to `lsh_recent` at the end (merged into a run
    /// when the recent rows reach their limit), and the maintained counts move with the batch.
    public func withDedupTransaction<Result: Sendable>(at time: Double, _ body: (inout SQLiteDedupTransaction) throws -> Result) throws -> Result {
        try recentBuckets.withLock { recent in
            var appended: (articles: [BatchBuckets.Article], lastRowID: Int64)?
            let result = try db.write { db in
                try recent.refresh(db)
                // The transaction's copy of `recent` shares its storage; it is gone at the end of this
                // closure, before a merge changes `recent`, which would otherwise copy the whole index.
                let (result, buckets, stored, duplicates, merged) = try { () throws -> (Result, BatchBuckets, Int, Int, Int) in
                    var transaction = try SQLiteDedupTransaction(db, recent: recent, time: time)
                    let result = try body(&transaction)
                    return (result, transaction.buckets, transaction.stored, transaction.duplicates, transaction.mergedClusters)
                }()
                try buckets.write(db)
                if recent.chains.count + buckets.newRowCount >= recentBucketLimit {
                    try recent.merge(db, batch: buckets.newArticles, runLimit: runLimit)
                } else if !buckets.newArticles.isEmpty {
                    appended = (buckets.newArticles, db.lastInsertedRowID)
                }
                try Self.count(db, "articles", by: stored)
                try Self.count(db, "duplicates", by: duplicates)
                try Self.count(db, "clusters", by: stored - duplicates - merged)
                try db.cachedStatement(sql: """
                    INSERT INTO daily_counts (day, articles, duplicates) VALUES (?, ?, ?)
                    ON CONFLICT(day) DO UPDATE SET articles = articles + excluded.articles, duplicates = duplicates + excluded.duplicates
                    """).execute(arguments: [Int64((time / 86_400).rounded(.down)), stored, duplicates])
                return result
            }
            // Committed: the batch's rows join the in-memory copy without being read back.
            if let appended { recent.appendCommitted(appended.articles, lastRowID: appended.lastRowID) }
            return result
        }
    }

    /// Lookups as the writer makes them (the recent rows from the refreshed in-memory copy, the keyed
    /// table only for keys its filter cannot rule out), in a read transaction. Scanning `lsh_recent` in
    /// SQL instead took 10 ms at 64,000 rows.
    public func withDedupReadTransaction<Result: Sendable>(_ body: (inout SQLiteDedupTransaction) throws -> Result) throws -> Result {
        try recentBuckets.withLock { recent in
            try db.read { db in
                try recent.refresh(db)
                var transaction = try SQLiteDedupTransaction(db, recent: recent, time: 0)
                return try body(&transaction)
            }
        }
    }
}
