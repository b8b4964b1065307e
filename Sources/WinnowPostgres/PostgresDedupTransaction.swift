import Foundation
import WinnowDedup
import WinnowStore

/// The PostgreSQL store's side of the dedup protocol: one stage-3 batch, a READ COMMITTED
/// transaction per slice of 50 articles (see `reserve`), which several processes run at the same time.
///
/// Why two processes never both call near-identical articles new: before anything about a slice of
/// articles is read, `reserve` takes `pg_advisory_xact_lock` on all their keys (band keys, and a
/// hash of each text hash, URL and guid) in one statement, in key order. Near-identical articles
/// share a band key (that is how LSH finds them), so the second process waits there until the first
/// commits; its candidate read, a separate statement made after the lock (READ COMMITTED takes a
/// new snapshot per statement), then sees the first one's article. Exact duplicates share a text
/// hash, URL or guid key the same way. The locks go at commit, a slice at a time.
///
/// Clusters change under several processes too: an article that matches into two clusters merges
/// them, while another process may be adding an article to one of them (the two articles need
/// share no band key). So an article locks the rows of the clusters it joins (`holdClusters(of:)`,
/// `FOR UPDATE`, in id order within the article) before it writes: an article joining a cluster that
/// is being merged away waits, finds the row gone, and reads its match's new cluster; a merge
/// waiting on a join then moves the joined article too (its UPDATE is a new statement, which sees
/// that commit). Articles of one slice lock in their own order, so two slices can deadlock on
/// cluster rows: PostgreSQL aborts one, and the store runs the batch again (`PGConnection.transaction`).
public struct PostgresDedupTransaction: DedupTransaction {
    let db: PGConnection
    let time: Double
    let options: PostgresStore.Options
    /// A read-only transaction (`DedupStage.match`) locks nothing.
    let readOnly: Bool
    /// Bucket rows of the keys prefetched, plus this batch's own articles.
    var buckets: [Int64: [Int64]] = [:]
    /// Whether a slice has begun in this transaction (the next one commits it first).
    var sliceStarted = false
    /// The slice's bucket rows (key, article), inserted in one statement, in key order, before it commits.
    var newBuckets: [(key: Int64, articleID: Int64)] = []
    /// Signatures read with the bucket rows, and texts read for verification: a family's members
    /// are candidates of each other again and again, and each lookup is a round trip (a 1,790-document
    /// ingest made 4,235 signature and 4,213 text queries).
    let cache = Cache()

    final class Cache {
        var signatures: [Int64: Signature] = [:]
        var texts: [Int64: String] = [:]
        /// Clusters as the bucket read saw them (and as this transaction's merges left them): hints
        /// only (another process may merge two meanwhile), which is all a plain `clusters(of:)` promises.
        var clusters: [Int64: Int64] = [:]
    }

    init(_ db: PGConnection, time: Double, options: PostgresStore.Options, readOnly: Bool = false) {
        self.db = db
        self.time = time
        self.options = options
        self.readOnly = readOnly
    }

    /// The advisory lock key of an exact-match value (a namespace keeps text, URL and guid apart).
    static func lockKey(_ kind: String, _ value: String) -> Int64 {
        Int64(bitPattern: StableHash.hash(kind + "\u{1F}" + value, seed: 0x5057_4C6F_636B))
    }

    public mutating func reserve(_ articles: [CleanArticle], keys: [Int64]) throws {
        // A slice a transaction: the slices before this one are committed, and their locks go. A
        // whole 2,000-article batch would hold ~68,000 advisory locks (32 bands and the exact keys an
        // article), and PostgreSQL's lock table holds max_locks_per_transaction (64) x max_connections
        // (100) = 6,400 by default: "out of shared memory". A slice of 50 holds about 1,700. And with
        // one lock statement a transaction, in key order, two dedup transactions cannot deadlock on
        // these locks (they can on cluster rows: see the type's summary).
        // A batch rerun after an error finds its committed slices stored (inserts are idempotent).
        if sliceStarted {
            try flushBuckets()
            try db.execute("COMMIT; BEGIN")
        }
        sliceStarted = true
        guard options.advisoryLocks else { return }
        var all = Set(keys)
        for article in articles {
            all.insert(Self.lockKey("text", article.textHash))
            if let url = article.url { all.insert(Self.lockKey("url", url)) }
            if let guid = DedupStage.globallyUnique(article.guid) { all.insert(Self.lockKey("guid", guid)) }
        }
        guard !all.isEmpty else { return }
        // One statement, keys ascending: every process takes overlapping locks in the same order.
        try db.query("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS s",
                     [PGText.array(all.sorted())])
    }

    /// Inserts the slice's bucket rows: one statement, keys ascending (neighbouring keys share B-tree
    /// pages), instead of 32 random inserts in each article's statement.
    mutating func flushBuckets() throws {
        guard !newBuckets.isEmpty else { return }
        newBuckets.sort { ($0.key, $0.articleID) < ($1.key, $1.articleID) }
        try db.query("INSERT INTO lsh_buckets (key, article_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
                     [PGText.array(newBuckets.map(\.key)), PGText.array(newBuckets.map(\.articleID))])
        newBuckets.removeAll(keepingCapacity: true)
    }

    public func earliestArticle(textHash: String) throws -> StoredArticle? {
        try earliest("SELECT id, cluster_id FROM articles WHERE text_hash = $1 AND status <> 'exact-duplicate' ORDER BY id LIMIT 1", [textHash])
    }

    public func earliestArticle(url: String) throws -> StoredArticle? {
        try earliest("SELECT id, cluster_id FROM articles WHERE url = $1 AND status <> 'exact-duplicate' ORDER BY id LIMIT 1", [url])
    }

    public func earliestArticle(guid: String, notFromFeed feedID: Int64) throws -> StoredArticle? {
        try earliest("SELECT id, cluster_id FROM articles WHERE guid = $1 AND feed_id <> $2 AND status <> 'exact-duplicate' ORDER BY id LIMIT 1",
                     [guid, String(feedID)])
    }

    private func earliest(_ sql: String, _ parameters: [String?]) throws -> StoredArticle? {
        let rows = try db.query(sql, parameters)
        return rows.count == 0 ? nil : StoredArticle(id: rows.int64(0, 0)!, clusterID: rows.int64(0, 1)!)
    }

    /// Reads the bucket rows of a slice's keys in one statement (after `reserve` locked them).
    public mutating func prefetch(keys: [Int64]) throws {
        guard !keys.isEmpty else { return }
        let rows = try db.query("""
            SELECT b.key, b.article_id, s.shingle_count, s.signature, a.cluster_id
            FROM lsh_buckets b LEFT JOIN signatures s ON s.article_id = b.article_id LEFT JOIN articles a ON a.id = b.article_id
            WHERE b.key = ANY($1::bigint[])
            """, [PGText.array(keys)])
        for key in keys { buckets[key] = [] }
        for i in 0..<rows.count {
            let id = rows.int64(i, 1)!
            buckets[rows.int64(i, 0)!, default: []].append(id)
            if cache.signatures[id] == nil, let count = rows.int(i, 2), let bytes = rows.bytes(i, 3) {
                cache.signatures[id] = Signature(values: StoreText.signature(from: bytes), shingleCount: count)
            }
            if let cluster = rows.int64(i, 4) { cache.clusters[id] = cluster }
        }
    }

    public func candidates(keys: [Int64]) throws -> [Int64] {
        var found = Set<Int64>()
        for key in keys { found.formUnion(buckets[key] ?? []) }
        return found.sorted()
    }

    public func signature(articleID: Int64) throws -> Signature? {
        if let cached = cache.signatures[articleID] { return cached }
        let rows = try db.query("SELECT shingle_count, signature FROM signatures WHERE article_id = $1", [String(articleID)])
        guard rows.count > 0 else { return nil }
        return Signature(values: StoreText.signature(from: rows.bytes(0, 1)!), shingleCount: rows.int(0, 0)!)
    }

    public func text(articleID: Int64) throws -> String? {
        if let cached = cache.texts[articleID] { return cached }
        let text = try db.query("SELECT c.text FROM articles a JOIN clean_articles c ON c.id = a.clean_article_id WHERE a.id = $1",
                                [String(articleID)]).string(0, 0)
        cache.texts[articleID] = text
        return text
    }

    /// From the hints the bucket read left when it has them all, else one query.
    public func clusters(of articleIDs: [Int64]) throws -> [Int64: Int64] {
        guard !articleIDs.isEmpty else { return [:] }
        if articleIDs.allSatisfy({ cache.clusters[$0] != nil }) {
            return Dictionary(articleIDs.map { ($0, cache.clusters[$0]!) }, uniquingKeysWith: { a, _ in a })
        }
        return try readClusters(of: articleIDs)
    }

    public func holdClusters(of articleIDs: [Int64]) throws -> [Int64: Int64] {
        guard !articleIDs.isEmpty else { return [:] }
        var missing: [Int64] = []
        while true {
            let clusters = try readClusters(of: articleIDs)
            guard !readOnly, options.advisoryLocks else { return clusters }
            // Held to commit. A cluster merged away while this waited is gone (its row deleted in the
            // merge's commit) and its articles have moved: read them again. One that still exists
            // still holds them, since only a merge moves articles, and it deletes the cluster.
            let wanted = Deduplicator.sortedUnique(Array(clusters.values))
            let locked = try db.query("SELECT id FROM clusters WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", [PGText.array(wanted)])
            if locked.count == wanted.count { return clusters }
            // The same clusters missing twice is no merge: the store has articles without a cluster.
            let gone = Array(Set(wanted).subtracting((0..<locked.count).map { locked.int64($0, 0)! })).sorted()
            if gone == missing {
                throw PGError(url: db.displayURL, message: "articles \(clusters.filter { gone.contains($0.value) }.keys.sorted()) point at "
                              + "clusters \(gone) that do not exist; the store is inconsistent (winnowctl status --db shows the counts)")
            }
            missing = gone
        }
    }

    func readClusters(of articleIDs: [Int64]) throws -> [Int64: Int64] {
        let rows = try db.query("SELECT id, cluster_id FROM articles WHERE id = ANY($1::bigint[])", [PGText.array(articleIDs)])
        var clusters: [Int64: Int64] = [:]
        for i in 0..<rows.count { clusters[rows.int64(i, 0)!] = rows.int64(i, 1)! }
        return clusters
    }

    /// One statement: the articles move, the merged clusters go, the survivor grows by their sizes.
    /// (The articles' reference to their cluster is checked at commit.)
    public mutating func mergeClusters(_ merged: [Int64], into survivor: Int64, canonical: Int64?) throws {
        guard !merged.isEmpty else { return }
        try db.query("""
            WITH moved AS (UPDATE articles SET cluster_id = $1::bigint WHERE cluster_id = ANY($2::bigint[])),
            gone AS (DELETE FROM clusters WHERE id = ANY($2::bigint[]) RETURNING size)
            UPDATE clusters SET size = size + (SELECT coalesce(sum(size), 0) FROM gone), updated_at = $3::double precision,
                canonical_article_id = coalesce($4::bigint, canonical_article_id)
            WHERE id = $1::bigint
            """, [String(survivor), PGText.array(merged), String(time), canonical.map(String.init)])
        // The hints follow the merge, so this batch's later articles group candidates as SQLite does.
        let gone = Set(merged)
        for (article, cluster) in cache.clusters where gone.contains(cluster) { cache.clusters[article] = survivor }
    }

    public func canonicalArticle(cluster: Int64) throws -> CanonicalCandidate? {
        let rows = try db.query("""
            SELECT a.id, a.feed_id, octet_length(t.text)
            FROM clusters c JOIN articles a ON a.id = c.canonical_article_id JOIN clean_articles t ON t.id = a.clean_article_id
            WHERE c.id = $1
            """, [String(cluster)])
        return rows.count == 0 ? nil : CanonicalCandidate(articleID: rows.int64(0, 0)!, feedID: rows.int64(0, 1)!, length: rows.int(0, 2)!)
    }

    public func feedIDs(named names: [String]) throws -> [String: Int64] {
        let rows = try db.query("SELECT name, id FROM feeds WHERE name = ANY($1::text[])", [PGText.array(names.map { Optional($0) })])
        return Dictionary(uniqueKeysWithValues: (0..<rows.count).map { (rows.string($0, 0)!, rows.int64($0, 1)!) })
    }

    /// Stores the article, its cluster change, signature and bucket rows, and takes it off the dedup
    /// queue, in one statement. Idempotent per clean article: when another process stored it first
    /// (its lease ran out under a slow process), nothing is written and that stored verdict is returned.
    public mutating func insert(_ article: CleanArticle, verdict: DedupResult, cluster: Int64?, becomesCanonical: Bool,
                                signature: Signature?, keys: [Int64]) throws -> DedupResult {
        if options.delayBeforeInsert > .zero { Thread.sleep(forTimeInterval: Double(options.delayBeforeInsert.components.seconds)
            + Double(options.delayBeforeInsert.components.attoseconds) / 1e18) }
        let rows = try db.query("""
            WITH new AS (SELECT nextval(pg_get_serial_sequence('articles', 'id')) AS id),
            article AS (
                INSERT INTO articles (id, clean_article_id, feed_id, guid, url, title, author, published_at, text_hash,
                                      status, cluster_id, duplicate_of, similarity, containment, match_kind, created_at)
                SELECT new.id, $1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::text, $7::double precision, $8::text, $9::text,
                       COALESCE($10::bigint, new.id), $11::bigint, $12::double precision, $13::double precision, $14::text, $15::double precision FROM new
                ON CONFLICT (clean_article_id) DO NOTHING
                RETURNING id, cluster_id
            ),
            new_cluster AS (
                INSERT INTO clusters (id, canonical_article_id, size, created_at, updated_at)
                SELECT id, id, 1, $15::double precision, $15::double precision FROM article WHERE $10::bigint IS NULL
            ),
            joined AS (
                UPDATE clusters SET size = size + 1, updated_at = $15::double precision,
                    canonical_article_id = CASE WHEN $16::boolean THEN (SELECT id FROM article) ELSE canonical_article_id END
                WHERE id = $10::bigint AND EXISTS (SELECT 1 FROM article)
            ),
            signature AS (
                INSERT INTO signatures (article_id, shingle_count, signature)
                SELECT id, $17::integer, $18::bytea FROM article WHERE $18::bytea IS NOT NULL
            ),
            dequeued AS (DELETE FROM dedup_queue WHERE clean_article_id = $1::bigint)
            SELECT id, cluster_id FROM article
            """, [
                String(article.id), String(article.feedID), DedupStage.globallyUnique(article.guid), article.url, article.title,
                article.author, article.publishedAt.map { "\($0)" }, article.textHash, verdict.status.rawValue, cluster.map(String.init),
                verdict.duplicateOf.map(String.init), verdict.similarity.map { "\($0)" }, verdict.containment.map { "\($0)" },
                verdict.matchKind, String(time), becomesCanonical ? "true" : "false",
                signature.map { String($0.shingleCount) }, signature.map { PGText.bytea(StoreText.signatureBytes($0.values)) },
            ])
        guard rows.count > 0 else { return try storedVerdict(cleanArticleID: article.id) }
        var result = verdict
        result.articleID = rows.int64(0, 0)!
        result.clusterID = rows.int64(0, 1)!
        cache.clusters[result.articleID] = result.clusterID
        if let signature {
            for key in keys {
                buckets[key, default: []].append(result.articleID)
                newBuckets.append((key, result.articleID))
            }
            cache.signatures[result.articleID] = signature
        }
        return result
    }

    /// The verdict stored for a clean article by whichever process stored it.
    func storedVerdict(cleanArticleID: Int64) throws -> DedupResult {
        let rows = try db.query("""
            SELECT id, status, cluster_id, duplicate_of, similarity, containment, match_kind FROM articles WHERE clean_article_id = $1
            """, [String(cleanArticleID)])
        guard rows.count > 0, let status = DedupStatus(rawValue: rows.string(0, 1)!) else {
            throw PGError(url: db.displayURL, message: "clean article \(cleanArticleID) was neither stored nor found stored")
        }
        var result = DedupResult(articleID: rows.int64(0, 0)!, status: status, clusterID: rows.int64(0, 2)!,
                                 duplicateOf: rows.int64(0, 3), similarity: rows.double(0, 4))
        result.containment = rows.double(0, 5)
        result.matchKind = rows.string(0, 6)
        return result
    }
}

extension PostgresStore: DedupStore {
    /// One stage-3 batch, committed a slice at a time (`reserve`); a batch that fails is run again
    /// (DedupStage's body is repeatable, and the slices already committed are found stored).
    public func withDedupTransaction<Result: Sendable>(at time: Double, _ body: (inout PostgresDedupTransaction) throws -> Result) throws -> Result {
        try write { db in
            var transaction = PostgresDedupTransaction(db, time: time, options: options)
            let result = try body(&transaction)
            try transaction.flushBuckets()
            return result
        }
    }

    /// Lookups against what is committed, writing nothing.
    public func withDedupReadTransaction<Result: Sendable>(_ body: (inout PostgresDedupTransaction) throws -> Result) throws -> Result {
        try write { db in
            try db.execute("SET TRANSACTION READ ONLY")
            var transaction = PostgresDedupTransaction(db, time: 0, options: options, readOnly: true)
            return try body(&transaction)
        }
    }
}
