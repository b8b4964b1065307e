import Foundation
import GRDB
import WinnowClean
import WinnowDedup
import WinnowFeeds

extension ArticleStore {
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
                let rawItemID = db.lastInsertedRowID
                try enqueue.execute(arguments: [rawItemID])
                try storeMedia(db, rawItemID: rawItemID, item: item)
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
                // Cached by its number of guids (at most 500 statements, each small): a poll cycle asks
                // this of every feed, and compiling the statement each time (GRDB's authorizer reads
                // every column) cost more than running it.
                known.formUnion(try String.fetchAll(db.cachedStatement(sql: sql),
                                                    arguments: StatementArguments([feedID.databaseValue] + part.map { $0.databaseValue })))
            }
            return known
        }
    }

    static func rawArguments(feedID: Int64, item: FeedItem, fetchedAt: Double) -> StatementArguments {
        let hash = String(StableHash.hash([item.title ?? "", item.summary ?? "", item.content ?? ""].joined(separator: "\u{1F}")), radix: 16)
        let text: (String?) -> String? = { $0.map(StoreText.withoutNUL) }
        return [feedID, StoreText.withoutNUL(item.guid), text(item.link), text(item.title), text(item.author), item.published?.timeIntervalSince1970,
                text(item.publishedRaw), text(item.summary), text(item.content), hash, fetchedAt]
    }

    /// Stores a local document (from `winnowctl ingest`) as a stage-1 item of the built-in `local` feed.
    public func addLocalItem(_ item: FeedItem, at time: Double = Date().timeIntervalSince1970) throws -> RawItem {
        try addLocalItems([item], at: time)[0]
    }

    /// Stores local documents as stage-1 items of the built-in `local` feed, queued for cleaning, in one transaction.
    public func addLocalItems(_ items: [FeedItem], at time: Double = Date().timeIntervalSince1970) throws -> [RawItem] {
        try db.write { db in
            try db.execute(sql: "INSERT INTO feeds (name, url, active) VALUES ('local', 'winnow:local', 0) ON CONFLICT(name) DO NOTHING")
            let feedID = try Int64.fetchOne(db, sql: "SELECT id FROM feeds WHERE name = 'local'")!
            let insert = try db.cachedStatement(sql: """
                INSERT INTO raw_items (feed_id, guid, link, title, author, published_at, published_raw, summary, content, content_hash, fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let enqueue = try db.cachedStatement(sql: "INSERT INTO clean_queue (raw_item_id) VALUES (?)")
            let stored = try items.map { item in
                try insert.execute(arguments: Self.rawArguments(feedID: feedID, item: item, fetchedAt: time))
                let id = db.lastInsertedRowID
                try enqueue.execute(arguments: [id])
                try Self.storeMedia(db, rawItemID: id, item: item)
                return RawItem(id: id, feedID: feedID, item: item)
            }
            try db.execute(sql: "UPDATE feeds SET item_count = item_count + ? WHERE id = ?", arguments: [items.count, feedID])
            try Self.count(db, "raw", by: items.count)
            return stored
        }
    }
}
