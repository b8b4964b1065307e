import Foundation
import GRDB
import Synchronization
import WinnowClean
import WinnowDedup
import WinnowFeeds

/// The staged article store. Every stage transition is one transaction, so a crash leaves each item
/// wholly in one stage and the next start resumes from there.
public final class ArticleStore: Sendable {
    let db: any DatabaseWriter
    /// Bucket rows in `lsh_recent` beyond which they are merged into a run: the bound on the memory
    /// the recent index takes (about 40 bytes a row, so 10 MB by default; see BucketIndex.swift).
    let recentBucketLimit: Int
    /// Runs in `lsh_runs` beyond which they are merged into `lsh_buckets` (see BucketRuns.swift).
    let runLimit: Int
    let recentBuckets = Mutex(RecentBuckets())

    public static let defaultRecentBucketLimit = 262_144

    /// Sixteen runs hold 4.2 million bucket rows and take about 4 MB of the writer's memory: the
    /// keyed table is rewritten once every 130,000 articles.
    public static let defaultRunLimit = 16

    init(_ db: any DatabaseWriter, recentBucketLimit: Int = ArticleStore.defaultRecentBucketLimit, runLimit: Int = ArticleStore.defaultRunLimit) throws {
        self.db = db
        self.recentBucketLimit = recentBucketLimit
        self.runLimit = runLimit
    }

    /// Opens (creating when missing) the database file in WAL mode and runs pending migrations.
    public static func open(path: String, recentBucketLimit: Int = defaultRecentBucketLimit, runLimit: Int = defaultRunLimit) throws -> ArticleStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // WAL makes NORMAL durable across crashes (only a power loss can drop the last commits).
            // A 64 MB page cache keeps the LSH buckets' upper B-tree levels and hot leaves in memory.
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        try Schema.migrator.migrate(pool)
        return try ArticleStore(pool, recentBucketLimit: recentBucketLimit, runLimit: runLimit)
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
    public static func inMemory(recentBucketLimit: Int = defaultRecentBucketLimit, runLimit: Int = defaultRunLimit) throws -> ArticleStore {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue)
        return try ArticleStore(queue, recentBucketLimit: recentBucketLimit, runLimit: runLimit)
    }

    /// What stops the database from being written, when `error` says the trouble is the disk or the
    /// file rather than the data: a full disk, a read-only file or file system, an I/O error. Nil for
    /// any other error. Such trouble passes by itself (space is freed, the file system is remounted), so
    /// the daemon waits it out instead of stopping.
    public static func storageTrouble(in error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return "the disk holding the database is full"
        case .SQLITE_READONLY: return "the database is read-only (its file or its file system)"
        case .SQLITE_IOERR: return "the database's disk gave an I/O error"
        case .SQLITE_CANTOPEN: return "the database's files cannot be opened"
        default: return nil
        }
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
                // `url` is where the feed is polled: the configured URL, or where a permanent redirect moved
                // it. Only a change in the configuration replaces it (and drops validators and backoff).
                try db.execute(sql: """
                    INSERT INTO feeds (name, url, configured_url, active) VALUES (?1, ?2, ?2, 1)
                    ON CONFLICT(name) DO UPDATE SET
                        active = 1,
                        url = CASE WHEN feeds.configured_url = excluded.url THEN feeds.url ELSE excluded.url END,
                        etag = CASE WHEN feeds.configured_url = excluded.url THEN feeds.etag END,
                        last_modified = CASE WHEN feeds.configured_url = excluded.url THEN feeds.last_modified END,
                        next_fetch_at = CASE WHEN feeds.configured_url = excluded.url THEN feeds.next_fetch_at ELSE 0 END,
                        configured_url = excluded.url
                    """, arguments: [feed.name, feed.url])
            }
        }
        return try self.feeds()
    }

    static let feedColumns = """
        f.id, f.name, f.url, f.etag, f.last_modified, f.next_fetch_at, f.last_fetch_at, f.last_status,
        f.last_error, f.consecutive_errors, f.active, f.paused, f.item_count AS items
        """

    static func feedState(_ row: Row) -> FeedState {
        FeedState(id: row["id"], name: row["name"], url: row["url"], etag: row["etag"], lastModified: row["last_modified"],
                  nextFetchAt: row["next_fetch_at"], lastFetchAt: row["last_fetch_at"], lastStatus: row["last_status"],
                  lastError: row["last_error"], consecutiveErrors: row["consecutive_errors"], active: row["active"],
                  paused: row["paused"], items: row["items"])
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
                WHERE f.active = 1 AND f.paused = 0 AND f.name != 'local' AND f.next_fetch_at <= ? ORDER BY f.next_fetch_at
                """, arguments: [now]).map(Self.feedState)
        }
    }

    /// When the next active feed is due; nil when there is none.
    public func nextDueTime() throws -> Double? {
        try db.read { try Double.fetchOne($0, sql: "SELECT min(next_fetch_at) FROM feeds WHERE active = 1 AND paused = 0 AND name != 'local'") }
    }

    /// Pauses or resumes a feed by name; false when no configured feed has that name.
    /// Moves a feed's next poll out to `time` (never earlier), without counting an error: its host asked for a rest.
    public func postpone(feedID: Int64, until time: Double) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE feeds SET next_fetch_at = max(next_fetch_at, ?) WHERE id = ?", arguments: [time, feedID])
        }
    }

    public func setPaused(_ name: String, _ paused: Bool) throws -> Bool {
        try db.write { db in
            try db.execute(sql: "UPDATE feeds SET paused = ? WHERE name = ? AND active = 1", arguments: [paused, name])
            return db.changesCount > 0
        }
    }

    /// Makes one feed (or, with nil, every active feed) due now; returns how many.
    public func fetchNow(_ name: String?) throws -> Int {
        try db.write { db in
            if let name {
                try db.execute(sql: "UPDATE feeds SET next_fetch_at = 0 WHERE name = ? AND active = 1", arguments: [name])
            } else {
                try db.execute(sql: "UPDATE feeds SET next_fetch_at = 0 WHERE active = 1 AND name != 'local'")
            }
            return db.changesCount
        }
    }

    /// The publication times (else first-seen times) of a feed's newest stored items, newest first.
    public func publishingTimes(feedID: Int64, limit: Int) throws -> [Double] {
        try db.read { db in
            try Double.fetchAll(db, sql: """
                SELECT COALESCE(published_at, fetched_at) AS t FROM raw_items WHERE feed_id = ? ORDER BY t DESC LIMIT ?
                """, arguments: [feedID, limit])
        }
    }

    /// Records a fetch: the fetch_log row, the feed's new state and its new items, in one transaction.
    /// Returns how many items were new (an item already stored under the same guid is left as it was).
    @discardableResult
    public func record(feedID: Int64, outcome: FetchOutcome) throws -> Int {
        try record([(feedID, outcome)])[0]
    }

    /// Records many fetches in one transaction (a poll cycle's, a batch at a time: a commit per fetch
    /// made the writer the cycle's bottleneck); returns each one's new items, in order.
    public func record(_ batch: [(feedID: Int64, outcome: FetchOutcome)]) throws -> [Int] {
        try db.write { db in try batch.map { try Self.record(db, feedID: $0.feedID, outcome: $0.outcome) } }
    }

    private static func record(_ db: Database, feedID: Int64, outcome: FetchOutcome) throws -> Int {
        var inserted = 0
        let insert = try db.cachedStatement(sql: """
            INSERT INTO raw_items (feed_id, guid, link, title, author, published_at, published_raw, summary, content, content_hash, fetched_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(feed_id, guid) DO NOTHING
            """)
        let enqueue = try db.cachedStatement(sql: "INSERT INTO clean_queue (raw_item_id) VALUES (?)")
        for item in outcome.items {
            try insert.execute(arguments: Self.rawArguments(feedID: feedID, item: item, fetchedAt: outcome.startedAt))
            if db.changesCount > 0 {
                inserted += 1
                try enqueue.execute(arguments: [db.lastInsertedRowID])
            }
        }
        if inserted > 0 {
            try db.cachedStatement(sql: "UPDATE feeds SET item_count = item_count + ? WHERE id = ?").execute(arguments: [inserted, feedID])
            try count(db, "raw", by: inserted)
        }
        // Cached statements: a poll cycle records thousands of fetches, and preparing each took longer than running it.
        try db.cachedStatement(sql: """
            INSERT INTO fetch_log (feed_id, started_at, duration_ms, http_status, bytes, new_items, error_class, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [feedID, outcome.startedAt, outcome.durationMS, outcome.httpStatus, outcome.bytes,
                             inserted, outcome.errorClass, outcome.error])
        if outcome.succeeded {
            // A full response's validators replace the stored ones, absent ones included: a server that
            // stopped sending an ETag would otherwise be asked with a stale one forever. A 304 keeps them.
            try db.cachedStatement(sql: """
                UPDATE feeds SET etag = CASE WHEN ?1 = 304 THEN coalesce(?2, etag) ELSE ?2 END,
                    last_modified = CASE WHEN ?1 = 304 THEN coalesce(?3, last_modified) ELSE ?3 END,
                    url = coalesce(?4, url), next_fetch_at = ?5, last_fetch_at = ?6, last_status = ?1,
                    last_error = NULL, consecutive_errors = 0
                WHERE id = ?7
                """).execute(arguments: [outcome.httpStatus, outcome.etag, outcome.lastModified, outcome.newURL, outcome.nextFetchAt,
                                 outcome.startedAt, feedID])
        } else {
            try db.cachedStatement(sql: """
                UPDATE feeds SET next_fetch_at = ?, last_fetch_at = ?, last_status = ?, last_error = ?,
                    consecutive_errors = consecutive_errors + 1
                WHERE id = ?
                """).execute(arguments: [outcome.nextFetchAt, outcome.startedAt, outcome.httpStatus, outcome.error, feedID])
        }
        return inserted
    }

    /// Which of these guids the feed already has in stage 1.
    public func knownGuids(feedID: Int64, among guids: [String]) throws -> Set<String> {
        try db.read { db in
            var known = Set<String>()
            for start in stride(from: 0, to: guids.count, by: 500) {
                let part = Array(guids[start..<min(start + 500, guids.count)])
                let sql = "SELECT guid FROM raw_items WHERE feed_id = ? AND guid IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))"
                known.formUnion(try String.fetchAll(db, sql: sql, arguments: StatementArguments([feedID.databaseValue] + part.map { $0.databaseValue })))
            }
            return known
        }
    }

    static func rawArguments(feedID: Int64, item: FeedItem, fetchedAt: Double) -> StatementArguments {
        let hash = String(StableHash.hash([item.title ?? "", item.summary ?? "", item.content ?? ""].joined(separator: "\u{1F}")), radix: 16)
        let text: (String?) -> String? = { $0.map(withoutNUL) }
        return [feedID, withoutNUL(item.guid), text(item.link), text(item.title), text(item.author), item.published?.timeIntervalSince1970,
                text(item.publishedRaw), text(item.summary), text(item.content), hash, fetchedAt]
    }

    /// `text` without NUL characters. Strings are bound as C strings, so a NUL a feed sends would cut
    /// everything after it; a NUL carries nothing, so dropping it loses nothing.
    static func withoutNUL(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(decoding: text.utf8.filter { $0 != 0 }, as: UTF8.self)
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
            let id = db.lastInsertedRowID
            try db.execute(sql: "INSERT INTO clean_queue (raw_item_id) VALUES (?)", arguments: [id])
            try db.execute(sql: "UPDATE feeds SET item_count = item_count + 1 WHERE id = ?", arguments: [feedID])
            try Self.count(db, "raw", by: 1)
            return RawItem(id: id, feedID: feedID, item: item)
        }
    }

    // MARK: Stage 2

    /// Stage-1 items not yet cleaned, oldest first.
    public func pendingClean(limit: Int = 100) throws -> [RawItem] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.* FROM clean_queue q JOIN raw_items r ON r.id = q.raw_item_id ORDER BY q.raw_item_id LIMIT ?
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
        try saveClean([(rawItemID, document, textHash)], at: time)[0]
    }

    /// Moves a batch of items to stage 2 in one transaction; returns the new ids in order.
    public func saveClean(_ batch: [(rawItemID: Int64, document: CleanedDocument, textHash: String)],
                          at time: Double = Date().timeIntervalSince1970) throws -> [Int64] {
        let encoder = JSONEncoder()
        let rows = try batch.map { ($0.rawItemID, $0.document, $0.textHash, String(decoding: try encoder.encode($0.document.removed), as: UTF8.self)) }
        return try db.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO clean_articles (raw_item_id, title, author, text, text_hash, removed_json, cleaned_at, published_at, canonical_url)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let dequeue = try db.cachedStatement(sql: "DELETE FROM clean_queue WHERE raw_item_id = ?")
            let enqueue = try db.cachedStatement(sql: "INSERT INTO dedup_queue (clean_article_id) VALUES (?)")
            let ids = try rows.map { rawID, document, hash, removed in
                try insert.execute(arguments: [rawID, document.title, document.author, document.text, hash, removed, time,
                                               document.publishedAt?.timeIntervalSince1970, document.canonicalURL])
                let id = db.lastInsertedRowID
                try dequeue.execute(arguments: [rawID])
                try enqueue.execute(arguments: [id])
                return id
            }
            try Self.count(db, "clean", by: ids.count)
            return ids
        }
    }

    /// Counts each line once more for its source (one article's short paragraphs), in one transaction.
    public func observeLines(_ observations: [(source: String, lines: [String])], at time: Double = Date().timeIntervalSince1970) throws {
        guard observations.contains(where: { !$0.lines.isEmpty }) else { return }
        try db.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO learned_lines (source, line, articles, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)
                ON CONFLICT (source, line) DO UPDATE SET articles = articles + 1, last_seen = excluded.last_seen
                """)
            for (source, lines) in observations {
                for line in lines { try upsert.execute(arguments: [source, line, time, time]) }
            }
        }
    }

    /// The lines seen in at least `minCount` articles of each source.
    public func learnedLines(sources: Set<String>, minCount: Int) throws -> [String: Set<String>] {
        guard minCount > 0, !sources.isEmpty else { return [:] }
        return try db.read { db in
            var result: [String: Set<String>] = [:]
            for source in sources {
                let lines = try String.fetchAll(db, sql: "SELECT line FROM learned_lines WHERE source = ? AND articles >= ?",
                                                arguments: [source, minCount])
                if !lines.isEmpty { result[source] = Set(lines) }
            }
            return result
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
            // A cursor reads each row's values straight from the statement; fetchAll would copy every row first.
            try Array(Row.fetchCursor(db, sql: Self.cleanArticleQuery + " JOIN dedup_queue q ON q.clean_article_id = c.id ORDER BY q.clean_article_id LIMIT ?",
                                      arguments: [limit]).map(Self.cleanArticle))
        }
    }

    /// One stage-2 article by id.
    public func cleanArticle(id: Int64) throws -> CleanArticle? {
        try db.read { db in
            try Row.fetchOne(db, sql: Self.cleanArticleQuery + " WHERE c.id = ?", arguments: [id]).map(Self.cleanArticle)
        }
    }

    static let cleanArticleQuery = """
        SELECT c.id, c.raw_item_id, r.feed_id, r.guid, COALESCE(r.link, c.canonical_url), c.title, c.author,
               COALESCE(r.published_at, c.published_at), c.text, c.text_hash
        FROM clean_articles c JOIN raw_items r ON r.id = c.raw_item_id
        """

    static func cleanArticle(_ row: Row) -> CleanArticle {
        // By position, in `cleanArticleQuery`'s order: a lookup by name compares every column name.
        CleanArticle(id: row[0], rawItemID: row[1], feedID: row[2], guid: row[3], url: row[4], title: row[5], author: row[6],
                     publishedAt: row[7], text: row[8], textHash: row[9])
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

    /// Moves one article to stage 3. See `deduplicate(_:with:policy:)`.
    public func deduplicate(_ article: CleanArticle, with dedup: Deduplicator, policy: CanonicalPolicy = CanonicalPolicy(),
                            at time: Double = Date().timeIntervalSince1970) throws -> DedupResult {
        try deduplicate([article], with: dedup, policy: policy, at: time)[0]
    }

    /// Moves a batch of articles to stage 3 in one transaction (all or none of the batch): exact
    /// duplicates first (same text hash, URL or guid), else MinHash signature, LSH candidates verified by
    /// estimated similarity and containment, and the best match's cluster joined.
    ///
    /// Signatures are the expensive part, and need no database: another core computes them a slice
    /// ahead of the transaction, which waits only for the first slice. Each slice reads the buckets of
    /// all its keys in one sorted pass; the batch appends its own bucket rows at the end, and articles
    /// within the batch find each other through an in-memory index of the batch's keys.
    public func deduplicate(_ articles: [CleanArticle], with dedup: Deduplicator, policy: CanonicalPolicy = CanonicalPolicy(),
                            at time: Double = Date().timeIntervalSince1970) throws -> [DedupResult] {
        let fingerprints = FingerprintSlices(articles, with: dedup)
        return try recentBuckets.withLock { recent in
            var appended: (articles: [BatchBuckets.Article], lastRowID: Int64)?
            let results = try db.write { db in
                try recent.refresh(db)
                let preferred = try Self.feedRanks(db, names: policy.preferredFeeds)
                var buckets = BatchBuckets()
                var results: [DedupResult] = []
                results.reserveCapacity(articles.count)
                // Every article of the batch gets the next id, in order (this is the only writer).
                var nextID = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM articles")!
                for slice in fingerprints.slices.indices {
                    let ready = fingerprints.wait(slice)
                    try buckets.prefetch(db, keys: ready.flatMap { $0.keys }, filter: recent.stored, runs: recent.runs)
                    for (i, prepared) in zip(fingerprints.slices[slice], ready) {
                        let result = try Self.deduplicate(db, articles[i], id: nextID, fingerprint: prepared.fingerprint, keys: prepared.keys,
                                                          candidates: { buckets.candidates($0, recent: recent.chains) }, dedup: dedup,
                                                          policy: policy, preferred: preferred, time: time)
                        nextID += 1
                        // Exact duplicates add nothing to the index: their signature equals their original's.
                        if result.status != .exactDuplicate, prepared.fingerprint != nil { buckets.add(prepared.keys, article: result.articleID) }
                        results.append(result)
                    }
                }
                try buckets.write(db)
                if recent.chains.count + buckets.newRowCount >= recentBucketLimit {
                    try recent.merge(db, batch: buckets.newArticles, runLimit: runLimit)
                } else if !buckets.newArticles.isEmpty {
                    appended = (buckets.newArticles, db.lastInsertedRowID)
                }
                let duplicates = results.count { $0.status != .new }
                try Self.count(db, "articles", by: results.count)
                try Self.count(db, "duplicates", by: duplicates)
                try Self.count(db, "clusters", by: results.count - duplicates)
                try db.cachedStatement(sql: """
                    INSERT INTO daily_counts (day, articles, duplicates) VALUES (?, ?, ?)
                    ON CONFLICT(day) DO UPDATE SET articles = articles + excluded.articles, duplicates = duplicates + excluded.duplicates
                    """).execute(arguments: [Int64((time / 86_400).rounded(.down)), results.count, duplicates])
                return results
            }
            // Committed: the batch's rows join the in-memory copy without being read back.
            if let appended { recent.appendCommitted(appended.articles, lastRowID: appended.lastRowID) }
            return results
        }
    }

    /// Adds to a maintained count, in the caller's transaction.
    static func count(_ db: Database, _ name: String, by delta: Int) throws {
        try db.cachedStatement(sql: "UPDATE stage_counts SET value = value + ? WHERE name = ?").execute(arguments: [delta, name])
    }

    static func feedRanks(_ db: Database, names: [String]) throws -> [Int64: Int] {
        var ranks: [Int64: Int] = [:]
        for (rank, name) in names.enumerated() {
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM feeds WHERE name = ?", arguments: [name]) { ranks[id] = rank }
        }
        return ranks
    }

    /// Moves one article to stage 3, as article `articleID`, within the batch's transaction; the caller
    /// indexes its bucket keys and maintains the counts.
    static func deduplicate(_ db: Database, _ article: CleanArticle, id articleID: Int64, fingerprint: Fingerprint?, keys: [Int64],
                            candidates: ([Int64]) throws -> [Int64], dedup: Deduplicator,
                            policy: CanonicalPolicy, preferred: [Int64: Int], time: Double) throws -> DedupResult {
        var (result, clusterID) = try lookup(db, article, fingerprint: fingerprint, keys: keys, candidates: candidates, dedup: dedup)
        let guid = globallyUnique(article.guid)  // stored only when it names the article everywhere

        // A new cluster takes the id of its first article, which is its canonical one until another wins.
        if clusterID == nil {
            try db.cachedStatement(sql: "INSERT INTO clusters (id, canonical_article_id, size, created_at, updated_at) VALUES (?, ?, 1, ?, ?)")
                .execute(arguments: [articleID, articleID, time, time])
            clusterID = articleID
        }
        try db.cachedStatement(sql: """
            INSERT INTO articles (id, clean_article_id, feed_id, guid, url, title, author, published_at, text_hash,
                                  status, cluster_id, duplicate_of, similarity, containment, match_kind, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                articleID, article.id, article.feedID, guid, article.url, article.title, article.author, article.publishedAt,
                article.textHash, result.status.rawValue, clusterID, result.duplicateOf, result.similarity,
                result.containment, result.matchKind, time,
            ])
        result.articleID = articleID
        result.clusterID = clusterID!
        try db.cachedStatement(sql: "DELETE FROM dedup_queue WHERE clean_article_id = ?").execute(arguments: [article.id])
        if result.status != .new {
            try updateCanonical(db, cluster: clusterID!, newArticle: articleID, feedID: article.feedID,
                                length: article.text.utf8.count, policy: policy, preferred: preferred, time: time)
        }
        if result.status != .exactDuplicate, let signature = fingerprint?.signature {
            try db.cachedStatement(sql: "INSERT INTO signatures (article_id, shingle_count, signature) VALUES (?, ?, ?)")
                .execute(arguments: [result.articleID, signature.shingleCount, encodeSignature(signature.values)])
        }
        return result
    }

    /// The read half of dedup: exact duplicates first, then LSH candidates verified. Returns the verdict
    /// (article id still 0) and the cluster to join (nil: a new one).
    static func lookup(_ db: Database, _ article: CleanArticle, fingerprint: Fingerprint?, keys: [Int64],
                       candidates: ([Int64]) throws -> [Int64], dedup: Deduplicator) throws -> (DedupResult, Int64?) {
        var result = DedupResult(articleID: 0, status: .new, clusterID: 0)
        var clusterID: Int64?
        // Only a guid that names the article everywhere can match across feeds.
        let guid = globallyUnique(article.guid)

        // Exact duplicates: same normalized text, same article URL, or the same guid from another feed;
        // the earliest such article, by text before URL before guid when one article matches more ways.
        // One indexed lookup each: a single query ORing the three made SQLite gather and sort row ids.
        var exact: (id: Int64, cluster: Int64, kind: String)?
        func earliest(_ sql: String, _ arguments: StatementArguments, kind: String) throws {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) else { return }
            let id: Int64 = row[0]
            if exact.map({ id < $0.id }) ?? true { exact = (id, row[1], kind) }
        }
        try earliest("SELECT id, cluster_id FROM articles WHERE text_hash = ? AND status != 'exact-duplicate' ORDER BY id LIMIT 1",
                     [article.textHash], kind: "text")
        if let url = article.url {
            try earliest("SELECT id, cluster_id FROM articles WHERE url = ? AND status != 'exact-duplicate' ORDER BY id LIMIT 1", [url], kind: "url")
        }
        if let guid {
            try earliest("SELECT id, cluster_id FROM articles WHERE guid = ? AND feed_id != ? AND status != 'exact-duplicate' ORDER BY id LIMIT 1",
                         [guid, article.feedID], kind: "guid")
        }
        if let exact {
            result.status = .exactDuplicate
            result.duplicateOf = exact.id
            result.similarity = 1
            result.matchKind = exact.kind
            clusterID = exact.cluster
        } else if let fingerprint, !keys.isEmpty {
            let load = try db.cachedStatement(sql: "SELECT shingle_count, signature FROM signatures WHERE article_id = ?")
            var found: [(id: Int64, signature: Signature)] = []
            for id in try candidates(keys) {
                if let row = try Row.fetchOne(load, arguments: [id]) {
                    found.append((id, Signature(values: decodeSignature(row[1]), shingleCount: row[0])))
                }
            }
            // Exact verification reads the candidate's cleaned text; only candidates the estimate cannot rule out get here.
            let text = try db.cachedStatement(sql: "SELECT c.text FROM articles a JOIN clean_articles c ON c.id = a.clean_article_id WHERE a.id = ?")
            let best = try dedup.bestMatch(for: fingerprint, among: found) { id in
                try String.fetchOne(text, arguments: [id]).map(dedup.shingleSet)
            }
            if let best {
                result.status = .duplicate
                result.duplicateOf = best.id
                result.similarity = best.similarity
                result.containment = best.containment
                result.matchKind = best.kind.rawValue
                clusterID = try Int64.fetchOne(db, sql: "SELECT cluster_id FROM articles WHERE id = ?", arguments: [best.id])
            }
        }

        return (result, clusterID)
    }

    /// What `deduplicate` would decide for an article, without writing anything (for tools and for
    /// measuring the query alone). It looks up candidates as the writer does: the recent rows from the
    /// in-memory copy (refreshed from what is committed), the keyed table only for keys its filter
    /// cannot rule out. Scanning `lsh_recent` in SQL instead took 10 ms at 64,000 rows.
    public func match(_ article: CleanArticle, with dedup: Deduplicator) throws -> DedupResult {
        let fingerprint = dedup.fingerprint(of: article.text)
        let keys = fingerprint.map { dedup.bucketKeys($0.signature) } ?? []
        return try recentBuckets.withLock { recent in
            try db.read { db in
                try recent.refresh(db)
                var buckets = BatchBuckets()
                try buckets.prefetch(db, keys: keys, filter: recent.stored, runs: recent.runs)
                return try Self.lookup(db, article, fingerprint: fingerprint, keys: keys,
                                       candidates: { buckets.candidates($0, recent: recent.chains) }, dedup: dedup).0
            }
        }
    }

    /// A guid that names the article everywhere (a URL, a tag: or urn: URI). Short guids such as "123"
    /// are unique only within their feed and must never match across feeds.
    static func globallyUnique(_ guid: String) -> String? {
        let lower = guid.lowercased()
        return lower.contains("://") || lower.hasPrefix("tag:") || lower.hasPrefix("urn:") ? guid : nil
    }

    /// Keeps one canonical article per cluster: a preferred feed's article first, then the earliest
    /// (the default) or the longest. Cluster ids never change.
    static func updateCanonical(_ db: Database, cluster: Int64, newArticle: Int64, feedID: Int64, length: Int,
                                policy: CanonicalPolicy, preferred: [Int64: Int], time: Double) throws {
        let current = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.id, a.feed_id, length(CAST(t.text AS BLOB)) AS length
            FROM clusters c JOIN articles a ON a.id = c.canonical_article_id JOIN clean_articles t ON t.id = a.clean_article_id
            WHERE c.id = ?
            """), arguments: [cluster])
        var replace = current == nil
        if let current {
            let currentRank = preferred[current["feed_id"]] ?? Int.max
            let newRank = preferred[feedID] ?? Int.max
            if newRank != currentRank {
                replace = newRank < currentRank
            } else if policy.rule == .longest {
                replace = length > (current["length"] as Int)
            }
        }
        try db.cachedStatement(sql: """
            UPDATE clusters SET size = size + 1, updated_at = ?, canonical_article_id = CASE WHEN ? THEN ? ELSE canonical_article_id END
            WHERE id = ?
            """).execute(arguments: [time, replace, newArticle, cluster])
    }

    /// Signatures are stored as little-endian 32-bit values (see `MinHasher.signature(shingles:)`).
    static func encodeSignature(_ signature: [UInt64]) -> Data {
        var data = Data(count: signature.count * 4)
        data.withUnsafeMutableBytes { raw in
            for (i, value) in signature.enumerated() { raw.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        return data
    }

    static func decodeSignature(_ data: Data) -> [UInt64] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// The stored signature of an article (nil for exact duplicates and empty texts).
    public func signature(articleID: Int64) throws -> Signature? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT shingle_count, signature FROM signatures WHERE article_id = ?", arguments: [articleID])
                .map { Signature(values: Self.decodeSignature($0["signature"]), shingleCount: $0["shingle_count"]) }
        }
    }

    /// Drops the LSH buckets of articles created before `cutoff` (the retention window), by recomputing
    /// their keys from the stored signatures. Resumable: progress is kept in `settings`. Returns how
    /// many articles left the index.
    @discardableResult
    public func pruneIndex(createdBefore cutoff: Double, with dedup: Deduplicator, batch: Int = 1000) throws -> Int {
        // Rows are deleted from `lsh_buckets` only. When the recent rows or a run hold an article the
        // window drops, everything goes there first; they hold the newest articles, so with a window
        // of days this is rare, and an hourly prune leaves them (and the writer's copy) alone.
        try db.write { db in
            let through = try Self.prunedThrough(db)
            guard let newestDropped = try Int64.fetchOne(db, sql: "SELECT max(id) FROM articles WHERE id > ? AND created_at < ?",
                                                         arguments: [through, cutoff]) else { return }
            let oldestUnmerged = try Int64.fetchOne(db, sql: "SELECT min(id) FROM (SELECT min(article_id) AS id FROM lsh_recent UNION ALL SELECT min(min_article_id) FROM lsh_runs)")
            if let oldestUnmerged, oldestUnmerged <= newestDropped {
                _ = try Self.mergeBuckets(db, pairs: Self.recentPairs(db), runs: Self.runs(db), runLimit: 0)
            }
        }
        var pruned = 0
        while true {
            let done = try db.write { db -> Int in
                let through = try Self.prunedThrough(db)
                let rows = try Row.fetchAll(db, sql: """
                    SELECT a.id, s.signature FROM articles a JOIN signatures s ON s.article_id = a.id
                    WHERE a.id > ? AND a.created_at < ? ORDER BY a.id LIMIT ?
                    """, arguments: [through, cutoff, batch])
                let delete = try db.cachedStatement(sql: "DELETE FROM lsh_buckets WHERE key = ? AND article_id = ?")
                for row in rows {
                    let id: Int64 = row["id"]
                    for key in dedup.banding.bucketKeys(Self.decodeSignature(row["signature"])) {
                        try delete.execute(arguments: [key, id])
                    }
                }
                if let last = rows.last?["id"] as Int64? {
                    try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('dedup.pruned_through', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                   arguments: [String(last)])
                }
                return rows.count
            }
            pruned += done
            if done < batch { return pruned }
        }
    }

    /// The last article id whose buckets a prune has dealt with (0 before the first).
    static func prunedThrough(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'dedup.pruned_through'") ?? 0
    }

    /// Empties stage 3 (and with `includingClean`, stage 2) so it can be rebuilt from the earlier stage,
    /// after a rule or parameter change. One transaction.
    public func resetStages(includingClean: Bool) throws {
        try db.write { db in
            try db.execute(sql: """
                DELETE FROM lsh_buckets; DELETE FROM lsh_runs; DELETE FROM lsh_recent; DELETE FROM signatures; DELETE FROM articles; DELETE FROM clusters;
                DELETE FROM settings WHERE key IN ('dedup.fingerprint', 'dedup.pruned_through');
                DELETE FROM dedup_queue;
                DELETE FROM daily_counts;
                UPDATE stage_counts SET value = 0 WHERE name IN ('articles', 'clusters', 'duplicates');
                """)
            try RecentBuckets.bumpGeneration(db)
            if includingClean {
                try db.execute(sql: """
                    DELETE FROM clean_articles; DELETE FROM clean_queue;
                    INSERT INTO clean_queue (raw_item_id) SELECT id FROM raw_items;
                    UPDATE stage_counts SET value = 0 WHERE name = 'clean';
                    """)
            } else {
                try db.execute(sql: "INSERT INTO dedup_queue (clean_article_id) SELECT id FROM clean_articles")
            }
        }
    }

    // MARK: Inspection

    /// Row counts per stage, from the maintained counts (constant time however large the store).
    public func counts() throws -> StageCounts {
        try db.read { db in
            let counts = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, value FROM stage_counts")
                .map { ($0["name"] as String, $0["value"] as Int) })
            return StageCounts(raw: counts["raw"] ?? 0, clean: counts["clean"] ?? 0, articles: counts["articles"] ?? 0,
                               clusters: counts["clusters"] ?? 0, duplicates: counts["duplicates"] ?? 0,
                               pendingClean: try Int.fetchOne(db, sql: "SELECT count(*) FROM clean_queue") ?? 0,
                               pendingDedup: try Int.fetchOne(db, sql: "SELECT count(*) FROM dedup_queue") ?? 0)
        }
    }

    /// Articles stored and duplicates found on the UTC day of `time`.
    public func today(_ time: Double = Date().timeIntervalSince1970) throws -> (articles: Int, duplicates: Int) {
        try db.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT articles, duplicates FROM daily_counts WHERE day = ?",
                                       arguments: [Int64((time / 86_400).rounded(.down))])
            return (row?["articles"] ?? 0, row?["duplicates"] ?? 0)
        }
    }

    /// The maintained counts against the rows themselves (slow; for tests and consistency checks).
    public func countsAreConsistent() throws -> Bool {
        let kept = try counts()
        return try db.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            let actual = [
                try count("SELECT count(*) FROM feeds f WHERE f.item_count != (SELECT count(*) FROM raw_items r WHERE r.feed_id = f.id)"),
                try count("SELECT count(*) FROM raw_items"), try count("SELECT count(*) FROM clean_articles"),
                try count("SELECT count(*) FROM articles"), try count("SELECT count(*) FROM clusters"),
                try count("SELECT count(*) FROM articles WHERE status != 'new'"),
            ]
            return actual == [0, kept.raw, kept.clean, kept.articles, kept.clusters, kept.duplicates]
        }
    }

    /// Clusters with more than one member, largest first, members in arrival order.
    public func duplicateClusters(limit: Int = 100) throws -> [DuplicateCluster] {
        try db.read { db in
            let clusters = try Row.fetchAll(db, sql: """
                SELECT id, canonical_article_id FROM clusters WHERE size > 1 ORDER BY size DESC, id LIMIT ?
                """, arguments: [limit])
            return try clusters.map { cluster in
                let members = try Self.members(db, cluster: cluster["id"])
                return DuplicateCluster(clusterID: cluster["id"], canonicalArticleID: cluster["canonical_article_id"], members: members)
            }
        }
    }

    static func members(_ db: Database, cluster: Int64) throws -> [DuplicateCluster.Member] {
        try Row.fetchAll(db, sql: """
            SELECT a.id, f.name, a.title, a.url, a.status, a.similarity, a.match_kind
            FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.cluster_id = ? ORDER BY a.id
            """, arguments: [cluster]).map { row in
            DuplicateCluster.Member(articleID: row["id"], feed: row["name"], title: row["title"], url: row["url"],
                                    status: DedupStatus(rawValue: row["status"]) ?? .new, similarity: row["similarity"],
                                    matchKind: row["match_kind"])
        }
    }

    /// One stored article with its removals; nil when there is no such article.
    public func article(id: Int64) throws -> ArticleDetail? {
        let found = try db.read { db -> (Row, Int64)? in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.*, t.text, f.name AS feed, c.canonical_article_id FROM articles a
                JOIN clean_articles t ON t.id = a.clean_article_id
                JOIN feeds f ON f.id = a.feed_id JOIN clusters c ON c.id = a.cluster_id WHERE a.id = ?
                """, arguments: [id]) else { return nil }
            return (row, row["clean_article_id"])
        }
        guard let (row, cleanID) = found else { return nil }
        return ArticleDetail(id: row["id"], feed: row["feed"], guid: row["guid"], url: row["url"], title: row["title"],
                             author: row["author"], publishedAt: row["published_at"], text: row["text"],
                             status: DedupStatus(rawValue: row["status"]) ?? .new, clusterID: row["cluster_id"],
                             canonicalArticleID: row["canonical_article_id"], duplicateOf: row["duplicate_of"],
                             similarity: row["similarity"], containment: row["containment"], matchKind: row["match_kind"],
                             createdAt: row["created_at"], removed: try removals(cleanArticleID: cleanID))
    }

    /// The members of a cluster, in arrival order.
    public func clusterMembers(_ clusterID: Int64) throws -> [DuplicateCluster.Member] {
        try db.read { try Self.members($0, cluster: clusterID) }
    }

    /// Failed fetches in `fetch_log` by error class (`http-5xx`, `timeout`, `parse`, ...), since `time`.
    public func fetchErrors(since time: Double = 0) throws -> [String: Int] {
        try db.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT error_class, count(*) AS n FROM fetch_log WHERE error_class IS NOT NULL AND started_at >= ? GROUP BY error_class
                """, arguments: [time]).map { ($0["error_class"] as String, $0["n"] as Int) })
        }
    }

    /// Runs a read-only SQL query (for tests and consistency checks).
    public func scalar(_ sql: String) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: sql) ?? 0 }
    }
}
