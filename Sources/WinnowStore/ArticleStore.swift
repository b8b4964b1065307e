import Foundation
import GRDB
import WinnowClean
import WinnowDedup
import WinnowFeeds

/// The staged article store. Every stage transition is one transaction, so a crash leaves each item
/// wholly in one stage and the next start resumes from there.
public final class ArticleStore: Sendable {
    let db: any DatabaseWriter

    init(_ db: any DatabaseWriter) throws {
        self.db = db
    }

    /// Opens (creating when missing) the database file in WAL mode and runs pending migrations.
    public static func open(path: String) throws -> ArticleStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        try Schema.migrator.migrate(pool)
        return try ArticleStore(pool)
    }

    /// Opens an existing database for reading only (what `winnowctl` does while the daemon writes).
    public static func openReadOnly(path: String) throws -> ArticleStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingDatabase(path) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        return try ArticleStore(DatabaseQueue(path: path, configuration: config))
    }

    /// A private in-memory database, for tests.
    public static func inMemory() throws -> ArticleStore {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue)
        return try ArticleStore(queue)
    }

    public func integrityCheck() throws -> String {
        try db.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "no answer" }
    }

    // MARK: Feeds

    /// Adds the configured feeds and updates their URLs; feeds no longer configured stop being polled
    /// but keep their history.
    @discardableResult
    public func register(feeds: [FeedRegistration]) throws -> [FeedState] {
        try db.write { db in
            try db.execute(sql: "UPDATE feeds SET active = 0 WHERE name != 'local'")
            for feed in feeds {
                try db.execute(sql: """
                    INSERT INTO feeds (name, url, active) VALUES (?, ?, 1)
                    ON CONFLICT(name) DO UPDATE SET
                        active = 1,
                        url = excluded.url,
                        -- a new URL means old validators and backoff no longer apply
                        etag = CASE WHEN feeds.url = excluded.url THEN feeds.etag END,
                        last_modified = CASE WHEN feeds.url = excluded.url THEN feeds.last_modified END,
                        next_fetch_at = CASE WHEN feeds.url = excluded.url THEN feeds.next_fetch_at ELSE 0 END
                    """, arguments: [feed.name, feed.url])
            }
        }
        return try self.feeds()
    }

    static let feedColumns = """
        f.id, f.name, f.url, f.etag, f.last_modified, f.next_fetch_at, f.last_fetch_at, f.last_status,
        f.last_error, f.consecutive_errors, f.active,
        (SELECT count(*) FROM raw_items r WHERE r.feed_id = f.id) AS items
        """

    static func feedState(_ row: Row) -> FeedState {
        FeedState(id: row["id"], name: row["name"], url: row["url"], etag: row["etag"], lastModified: row["last_modified"],
                  nextFetchAt: row["next_fetch_at"], lastFetchAt: row["last_fetch_at"], lastStatus: row["last_status"],
                  lastError: row["last_error"], consecutiveErrors: row["consecutive_errors"], active: row["active"],
                  items: row["items"])
    }

    /// All feeds, active ones first.
    public func feeds() throws -> [FeedState] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.feedColumns) FROM feeds f WHERE f.name != 'local' ORDER BY f.active DESC, f.name")
                .map(Self.feedState)
        }
    }

    /// Active feeds due at `now`, most overdue first.
    public func dueFeeds(now: Double) throws -> [FeedState] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.feedColumns) FROM feeds f
                WHERE f.active = 1 AND f.name != 'local' AND f.next_fetch_at <= ? ORDER BY f.next_fetch_at
                """, arguments: [now]).map(Self.feedState)
        }
    }

    /// When the next active feed is due; nil when there is none.
    public func nextDueTime() throws -> Double? {
        try db.read { try Double.fetchOne($0, sql: "SELECT min(next_fetch_at) FROM feeds WHERE active = 1 AND name != 'local'") }
    }

    /// Records a fetch: the fetch_log row, the feed's new state and its new items, in one transaction.
    /// Returns how many items were new (an item already stored under the same guid is left as it was).
    @discardableResult
    public func record(feedID: Int64, outcome: FetchOutcome) throws -> Int {
        try db.write { db in
            var inserted = 0
            let insert = try db.cachedStatement(sql: """
                INSERT INTO raw_items (feed_id, guid, link, title, author, published_at, published_raw, summary, content, content_hash, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feed_id, guid) DO NOTHING
                """)
            for item in outcome.items {
                try insert.execute(arguments: Self.rawArguments(feedID: feedID, item: item, fetchedAt: outcome.startedAt))
                inserted += db.changesCount
            }
            try db.execute(sql: """
                INSERT INTO fetch_log (feed_id, started_at, duration_ms, http_status, bytes, new_items, error_class, error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [feedID, outcome.startedAt, outcome.durationMS, outcome.httpStatus, outcome.bytes,
                                 inserted, outcome.errorClass, outcome.error])
            if outcome.succeeded {
                try db.execute(sql: """
                    UPDATE feeds SET etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),
                        url = coalesce(?, url), next_fetch_at = ?, last_fetch_at = ?, last_status = ?,
                        last_error = NULL, consecutive_errors = 0
                    WHERE id = ?
                    """, arguments: [outcome.etag, outcome.lastModified, outcome.newURL, outcome.nextFetchAt,
                                     outcome.startedAt, outcome.httpStatus, feedID])
            } else {
                try db.execute(sql: """
                    UPDATE feeds SET next_fetch_at = ?, last_fetch_at = ?, last_status = ?, last_error = ?,
                        consecutive_errors = consecutive_errors + 1
                    WHERE id = ?
                    """, arguments: [outcome.nextFetchAt, outcome.startedAt, outcome.httpStatus, outcome.error, feedID])
            }
            return inserted
        }
    }

    static func rawArguments(feedID: Int64, item: FeedItem, fetchedAt: Double) -> StatementArguments {
        let hash = String(StableHash.hash([item.title ?? "", item.summary ?? "", item.content ?? ""].joined(separator: "\u{1F}")), radix: 16)
        return [feedID, item.guid, item.link, item.title, item.author, item.published?.timeIntervalSince1970,
                item.publishedRaw, item.summary, item.content, hash, fetchedAt]
    }

    /// Stores a local document (from `winnowctl ingest`) as a stage-1 item of the built-in `local` feed.
    public func addLocalItem(_ item: FeedItem, at time: Double = Date().timeIntervalSince1970) throws -> RawItem {
        try db.write { db in
            try db.execute(sql: "INSERT INTO feeds (name, url, active) VALUES ('local', 'winnow:local', 0) ON CONFLICT(name) DO NOTHING")
            let feedID = try Int64.fetchOne(db, sql: "SELECT id FROM feeds WHERE name = 'local'")!
            try db.execute(sql: """
                INSERT INTO raw_items (feed_id, guid, link, title, author, published_at, published_raw, summary, content, content_hash, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: Self.rawArguments(feedID: feedID, item: item, fetchedAt: time))
            return RawItem(id: db.lastInsertedRowID, feedID: feedID, item: item)
        }
    }

    // MARK: Stage 2

    /// Stage-1 items not yet cleaned, oldest first.
    public func pendingClean(limit: Int = 100) throws -> [RawItem] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.* FROM raw_items r LEFT JOIN clean_articles c ON c.raw_item_id = r.id
                WHERE c.id IS NULL ORDER BY r.id LIMIT ?
                """, arguments: [limit]).map { row in
                let published: Double? = row["published_at"]
                return RawItem(id: row["id"], feedID: row["feed_id"], item: FeedItem(
                    guid: row["guid"], link: row["link"], title: row["title"], author: row["author"],
                    published: published.map { Date(timeIntervalSince1970: $0) }, publishedRaw: row["published_raw"],
                    summary: row["summary"], content: row["content"]))
            }
        }
    }

    /// Moves one item to stage 2.
    @discardableResult
    public func saveClean(rawItemID: Int64, document: CleanedDocument, textHash: String, at time: Double = Date().timeIntervalSince1970) throws -> Int64 {
        let removed = String(decoding: try JSONEncoder().encode(document.removed), as: UTF8.self)
        return try db.write { db in
            try db.execute(sql: """
                INSERT INTO clean_articles (raw_item_id, title, author, text, text_hash, removed_json, cleaned_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [rawItemID, document.title, document.author, document.text, textHash, removed, time])
            return db.lastInsertedRowID
        }
    }

    /// The removals recorded for a cleaned article.
    public func removals(cleanArticleID: Int64) throws -> [Removal] {
        let json = try db.read { try String.fetchOne($0, sql: "SELECT removed_json FROM clean_articles WHERE id = ?", arguments: [cleanArticleID]) }
        guard let json else { return [] }
        return try JSONDecoder().decode([Removal].self, from: Data(json.utf8))
    }

    // MARK: Stage 3

    /// Stage-2 articles not yet deduplicated, oldest first.
    public func pendingDedup(limit: Int = 100) throws -> [CleanArticle] {
        try db.read { db in
            try Row.fetchAll(db, sql: Self.cleanArticleQuery + " WHERE a.id IS NULL ORDER BY c.id LIMIT ?", arguments: [limit])
                .map(Self.cleanArticle)
        }
    }

    /// One stage-2 article by id.
    public func cleanArticle(id: Int64) throws -> CleanArticle? {
        try db.read { db in
            try Row.fetchOne(db, sql: Self.cleanArticleQuery + " WHERE c.id = ?", arguments: [id]).map(Self.cleanArticle)
        }
    }

    static let cleanArticleQuery = """
        SELECT c.id, c.raw_item_id, r.feed_id, r.link, c.title, c.author, r.published_at, c.text, c.text_hash
        FROM clean_articles c JOIN raw_items r ON r.id = c.raw_item_id
        LEFT JOIN articles a ON a.clean_article_id = c.id
        """

    static func cleanArticle(_ row: Row) -> CleanArticle {
        CleanArticle(id: row["id"], rawItemID: row["raw_item_id"], feedID: row["feed_id"], url: row["link"],
                     title: row["title"], author: row["author"], publishedAt: row["published_at"],
                     text: row["text"], textHash: row["text_hash"])
    }

    /// Refuses to mix signatures made with other parameters; records the parameters on first use.
    public func checkDedupParameters(_ dedup: Deduplicator) throws {
        try db.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'dedup.fingerprint'")
            if let stored, stored != dedup.fingerprint {
                throw StoreError.parameterMismatch(stored: stored, configured: dedup.fingerprint)
            }
            if stored == nil {
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('dedup.fingerprint', ?)", arguments: [dedup.fingerprint])
            }
        }
    }

    /// Moves one article to stage 3: exact-duplicate fast path (same text hash or same URL), else MinHash
    /// signature, LSH candidates verified by estimated similarity, and the best match's cluster joined.
    /// Signature, buckets, article and cluster are written in one transaction.
    public func deduplicate(_ article: CleanArticle, with dedup: Deduplicator, at time: Double = Date().timeIntervalSince1970) throws -> DedupResult {
        // The signature is computed outside the write transaction: it is the expensive part.
        let signature = dedup.hasher.signature(of: article.text)
        let buckets = signature.map(dedup.banding.bucketKeys) ?? []
        return try db.write { db in
            var status = DedupStatus.new
            var duplicateOf: Int64?
            var similarity: Double?
            var clusterID: Int64?

            let exact = try Row.fetchOne(db, sql: """
                SELECT id, cluster_id FROM articles
                WHERE (text_hash = ? OR (url IS NOT NULL AND url = ?)) AND status != 'exact-duplicate'
                ORDER BY id LIMIT 1
                """, arguments: [article.textHash, article.url])
            if let exact {
                status = .exactDuplicate
                duplicateOf = exact["id"]
                clusterID = exact["cluster_id"]
                similarity = 1
            } else if let signature {
                let lookup = try db.cachedStatement(sql: "SELECT article_id FROM lsh_buckets WHERE band = ? AND bucket = ?")
                var candidateIDs = Set<Int64>()
                for (band, bucket) in buckets.enumerated() {
                    candidateIDs.formUnion(try Int64.fetchAll(lookup, arguments: [band, bucket]))
                }
                let load = try db.cachedStatement(sql: "SELECT signature FROM signatures WHERE article_id = ?")
                var candidates: [(id: Int64, signature: [UInt64])] = []
                for id in candidateIDs {
                    if let blob = try Data.fetchOne(load, arguments: [id]) { candidates.append((id, Self.decodeSignature(blob))) }
                }
                if let best = dedup.bestMatch(for: signature, among: candidates) {
                    status = .duplicate
                    duplicateOf = best.id
                    similarity = best.similarity
                    clusterID = try Int64.fetchOne(db, sql: "SELECT cluster_id FROM articles WHERE id = ?", arguments: [best.id])
                }
            }

            if clusterID == nil {
                try db.execute(sql: "INSERT INTO clusters (size, created_at, updated_at) VALUES (0, ?, ?)", arguments: [time, time])
                clusterID = db.lastInsertedRowID
            }
            try db.execute(sql: """
                INSERT INTO articles (clean_article_id, feed_id, url, title, author, published_at, text, text_hash,
                                      status, cluster_id, duplicate_of, similarity, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [article.id, article.feedID, article.url, article.title, article.author, article.publishedAt,
                                 article.text, article.textHash, status.rawValue, clusterID, duplicateOf, similarity, time])
            let articleID = db.lastInsertedRowID
            try db.execute(sql: """
                UPDATE clusters SET size = size + 1, updated_at = ?, canonical_article_id = coalesce(canonical_article_id, ?)
                WHERE id = ?
                """, arguments: [time, articleID, clusterID])

            // Exact duplicates add nothing to the index: their signature equals their original's.
            if status != .exactDuplicate, let signature {
                try db.execute(sql: """
                    INSERT INTO signatures (article_id, shingle_size, permutations, seed, signature) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [articleID, dedup.parameters.shingleSize, dedup.parameters.permutations,
                                     Int64(bitPattern: dedup.parameters.seed), Self.encodeSignature(signature)])
                let insert = try db.cachedStatement(sql: "INSERT INTO lsh_buckets (band, bucket, article_id, created_at) VALUES (?, ?, ?, ?)")
                for (band, bucket) in buckets.enumerated() {
                    try insert.execute(arguments: [band, bucket, articleID, time])
                }
            }
            return DedupResult(articleID: articleID, status: status, clusterID: clusterID!, duplicateOf: duplicateOf, similarity: similarity)
        }
    }

    static func encodeSignature(_ signature: [UInt64]) -> Data {
        var data = Data(capacity: signature.count * 8)
        for value in signature { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    static func decodeSignature(_ data: Data) -> [UInt64] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        }
    }

    // MARK: Inspection

    public func counts() throws -> StageCounts {
        try db.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            let raw = try count("SELECT count(*) FROM raw_items")
            let clean = try count("SELECT count(*) FROM clean_articles")
            let articles = try count("SELECT count(*) FROM articles")
            return StageCounts(raw: raw, clean: clean, articles: articles,
                               clusters: try count("SELECT count(*) FROM clusters"),
                               duplicates: try count("SELECT count(*) FROM articles WHERE status != 'new'"),
                               pendingClean: raw - clean, pendingDedup: clean - articles)
        }
    }

    /// Clusters with more than one member, largest first, members in arrival order.
    public func duplicateClusters(limit: Int = 100) throws -> [DuplicateCluster] {
        try db.read { db in
            let clusters = try Row.fetchAll(db, sql: """
                SELECT id, canonical_article_id FROM clusters WHERE size > 1 ORDER BY size DESC, id LIMIT ?
                """, arguments: [limit])
            return try clusters.map { cluster in
                let members = try Row.fetchAll(db, sql: """
                    SELECT id, title, url, status, similarity FROM articles WHERE cluster_id = ? ORDER BY id
                    """, arguments: [cluster["id"]]).map { row in
                    DuplicateCluster.Member(articleID: row["id"], title: row["title"], url: row["url"],
                                            status: DedupStatus(rawValue: row["status"]) ?? .new, similarity: row["similarity"])
                }
                return DuplicateCluster(clusterID: cluster["id"], canonicalArticleID: cluster["canonical_article_id"], members: members)
            }
        }
    }

    /// Runs a read-only SQL query (for tests and consistency checks).
    public func scalar(_ sql: String) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: sql) ?? 0 }
    }
}
