import Foundation
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowStore

extension PostgresStore: StageStore {
    // MARK: Feeds

    /// Adds the configured feeds and updates their URLs (as the SQLite store does); feeds no longer
    /// configured stop being polled but keep their history.
    @discardableResult
    public func register(feeds: [FeedRegistration]) throws -> [FeedState] {
        try write { db in
            try db.query("UPDATE feeds SET active = false WHERE name <> 'local' AND NOT (name = ANY($1::text[]))", [PGText.array(feeds.map(\.name))])
            // One statement for the whole list: a daemon registers every feed at each start, and a
            // round trip per feed made 10,000 feeds a few seconds of start-up.
            try db.query("""
                INSERT INTO feeds (name, url, configured_url, active, host)
                SELECT n, u, u, true, h FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(n, u, h, o) ORDER BY o
                ON CONFLICT (name) DO UPDATE SET
                    active = true,
                    host = CASE WHEN feeds.configured_url = excluded.url THEN coalesce(feeds.host, excluded.host) ELSE excluded.host END,
                    url = CASE WHEN feeds.configured_url = excluded.url THEN feeds.url ELSE excluded.url END,
                    etag = CASE WHEN feeds.configured_url = excluded.url THEN feeds.etag END,
                    last_modified = CASE WHEN feeds.configured_url = excluded.url THEN feeds.last_modified END,
                    next_fetch_at = CASE WHEN feeds.configured_url = excluded.url THEN feeds.next_fetch_at ELSE 0 END,
                    configured_url = excluded.url
                """, [PGText.array(feeds.map { Optional($0.name) }), PGText.array(feeds.map { Optional($0.url) }),
                      PGText.array(feeds.map { Optional(Self.hostKey($0.url)) })])
        }
        return try self.feeds()
    }

    static let feedColumns = """
        id, name, url, etag, last_modified, next_fetch_at, last_fetch_at, last_status,
        last_error, consecutive_errors, active, paused, item_count
        """

    /// All feeds, active ones first.
    public func feeds() throws -> [FeedState] {
        try withConnection { db in
            let rows = try db.query("SELECT \(Self.feedColumns) FROM feeds WHERE name <> 'local' ORDER BY active DESC, name")
            return (0..<rows.count).map { Self.feedState(rows, $0) }
        }
    }

    /// A row of `feedColumns` (from column 0).
    static func feedState(_ rows: PGResult, _ i: Int) -> FeedState {
        FeedState(id: rows.int64(i, 0)!, name: rows.string(i, 1)!, url: rows.string(i, 2)!, etag: rows.string(i, 3),
                  lastModified: rows.string(i, 4), nextFetchAt: rows.double(i, 5)!, lastFetchAt: rows.double(i, 6),
                  lastStatus: rows.int(i, 7), lastError: rows.string(i, 8), consecutiveErrors: rows.int(i, 9)!,
                  active: rows.bool(i, 10)!, paused: rows.bool(i, 11)!, items: rows.int(i, 12)!)
    }

    // MARK: Stage 1

    /// Stores local documents as stage-1 items of the built-in `local` feed, queued for cleaning and
    /// leased to this process (another process running at the same time leaves them alone).
    public func addLocalItems(_ items: [FeedItem]) throws -> [RawItem] {
        guard !items.isEmpty else { return [] }
        let time = Date().timeIntervalSince1970
        return try write { db in
            try db.query("INSERT INTO feeds (name, url, active) VALUES ('local', 'winnow:local', false) ON CONFLICT (name) DO NOTHING")
            let feedID = try db.query("SELECT id FROM feeds WHERE name = 'local'").int64(0, 0)!
            let hashes = items.map { String(StableHash.hash([$0.title ?? "", $0.summary ?? "", $0.content ?? ""].joined(separator: "\u{1F}")), radix: 16) }
            let rows = try db.query("""
                INSERT INTO raw_items (feed_id, guid, link, title, author, published_at, published_raw, summary, content, content_hash, fetched_at)
                SELECT $1::bigint, g, l, ti, a, p, pr, s, c, h, $11::double precision
                FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::double precision[], $7::text[], $8::text[], $9::text[], $10::text[])
                    AS t(g, l, ti, a, p, pr, s, c, h)
                RETURNING guid, id
                """, [
                    String(feedID), PGText.array(items.map { Optional($0.guid) }), PGText.array(items.map(\.link)),
                    PGText.array(items.map(\.title)), PGText.array(items.map(\.author)),
                    PGText.array(items.map { $0.published?.timeIntervalSince1970 }), PGText.array(items.map(\.publishedRaw)),
                    PGText.array(items.map(\.summary)), PGText.array(items.map(\.content)), PGText.array(hashes.map { Optional($0) }),
                    String(time),
                ])
            // A feed's guids are unique (the table says so), so the guid finds each item's id.
            let idByGuid = Dictionary(uniqueKeysWithValues: (0..<rows.count).map { (rows.string($0, 0)!, rows.int64($0, 1)!) })
            let ids = items.map { idByGuid[PGText.withoutNUL($0.guid)]! }
            try db.query("""
                INSERT INTO clean_queue (raw_item_id, lease_owner, leased_until)
                SELECT unnest($1::bigint[]), $2::text, clock_timestamp() + $3::interval
                """, [PGText.array(ids), owner, leaseInterval])
            try db.query("UPDATE feeds SET item_count = item_count + $1 WHERE id = $2", [String(items.count), String(feedID)])
            return zip(ids, items).map { RawItem(id: $0, feedID: feedID, item: $1) }
        }
    }

    // MARK: Stage 2

    /// Claims up to `limit` stage-1 items whose lease is free, expired or this process's, oldest
    /// first, and returns them (leased to this process).
    public func pendingClean(limit: Int, after: Int64?) throws -> [RawItem] {
        try claim { db in
            let rows = try db.query(Self.leasing("clean_queue", key: "raw_item_id", after: "$4") + """

                SELECT r.id, r.feed_id, r.guid, r.link, r.title, r.author, r.published_at, r.published_raw, r.summary, r.content
                FROM leased JOIN raw_items r ON r.id = leased.raw_item_id ORDER BY r.id
                """, [owner, String(limit), leaseInterval, String(after ?? 0)])
            return (0..<rows.count).map { i in
                RawItem(id: rows.int64(i, 0)!, feedID: rows.int64(i, 1)!, item: FeedItem(
                    guid: rows.string(i, 2)!, link: rows.string(i, 3), title: rows.string(i, 4), author: rows.string(i, 5),
                    published: rows.double(i, 6).map { Date(timeIntervalSince1970: $0) }, publishedRaw: rows.string(i, 7),
                    summary: rows.string(i, 8), content: rows.string(i, 9)))
            }
        }
    }

    /// Moves a batch to stage 2 and counts each observed line once more for its source, in one
    /// transaction; returns the new ids and every learned line of the batch's sources. Idempotent per raw item: an item another process cleaned first keeps that
    /// process's row (its id is returned) and is not queued for dedup again.
    public func saveClean(_ batch: [(rawItemID: Int64, document: CleanedDocument, textHash: String)],
                          observing observations: [(source: String, lines: [String])], learnAt minCount: Int) throws
        -> (ids: [Int64], learned: [(source: String, line: String)]) {
        guard !batch.isEmpty else { return ([], []) }
        let time = String(Date().timeIntervalSince1970)
        let encoder = JSONEncoder()
        let removed = try batch.map { Optional(String(decoding: try encoder.encode($0.document.removed), as: UTF8.self)) }
        let rawIDs = PGText.array(batch.map(\.rawItemID))
        // Each line once per (source, line) with how many articles of the batch had it, in key order:
        // rows locked in one order by every process cannot deadlock.
        var counts: [String: [String: Int]] = [:]
        for (source, lines) in observations { for line in lines { counts[source, default: [:]][line, default: 0] += 1 } }
        let observed = counts.flatMap { source, lines in lines.map { (source: source, line: $0.key, count: $0.value) } }
            .sorted { ($0.source, $0.line) < ($1.source, $1.line) }
        return try write { db in
            let inserted = try db.query("""
                INSERT INTO clean_articles (raw_item_id, title, author, text, text_hash, removed_json, cleaned_at, published_at, canonical_url)
                SELECT r, ti, a, tx, h, rm, $7::double precision, p, cu
                FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $8::double precision[], $9::text[])
                    AS t(r, ti, a, tx, h, rm, p, cu)
                ON CONFLICT (raw_item_id) DO NOTHING
                RETURNING id
                """, [
                    rawIDs, PGText.array(batch.map(\.document.title)), PGText.array(batch.map(\.document.author)),
                    PGText.array(batch.map { Optional($0.document.text) }), PGText.array(batch.map { Optional($0.textHash) }),
                    PGText.array(removed), time, PGText.array(batch.map { $0.document.publishedAt?.timeIntervalSince1970 }),
                    PGText.array(batch.map(\.document.canonicalURL)),
                ]).int64Column
            try db.query("""
                INSERT INTO dedup_queue (clean_article_id, lease_owner, leased_until)
                SELECT unnest($1::bigint[]), $2::text, clock_timestamp() + $3::interval
                """, [PGText.array(inserted), owner, leaseInterval])
            try db.query("DELETE FROM clean_queue WHERE raw_item_id = ANY($1::bigint[])", [rawIDs])
            let idRows = try db.query("SELECT raw_item_id, id FROM clean_articles WHERE raw_item_id = ANY($1::bigint[])", [rawIDs])
            let idByRaw = Dictionary(uniqueKeysWithValues: (0..<idRows.count).map { (idRows.int64($0, 0)!, idRows.int64($0, 1)!) })
            if !observed.isEmpty {
                try db.query("""
                    INSERT INTO learned_lines (source, line, articles, first_seen, last_seen)
                    SELECT s, l, n, $4::double precision, $4::double precision FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS t(s, l, n, o) ORDER BY o
                    ON CONFLICT (source, line) DO UPDATE SET articles = learned_lines.articles + excluded.articles, last_seen = excluded.last_seen
                    """, [PGText.array(observed.map { Optional($0.source) }), PGText.array(observed.map { Optional($0.line) }),
                          PGText.array(observed.map { Int64($0.count) }), time])
            }
            // Every learned line of the batch's sources, not only those this batch pushed over the
            // threshold: other processes learn too, and the caller's in-memory set (StageRunner's
            // LearnedLines) would otherwise never hear of their lines.
            var learned: [(source: String, line: String)] = []
            let sources = Set(observations.filter { !$0.lines.isEmpty }.map(\.source))
            if minCount > 0, !sources.isEmpty {
                let rows = try db.query("SELECT source, line FROM learned_lines WHERE source = ANY($1::text[]) AND articles >= $2",
                                        [PGText.array(sources.sorted().map { Optional($0) }), String(minCount)])
                learned = (0..<rows.count).map { (rows.string($0, 0)!, rows.string($0, 1)!) }
            }
            return (batch.map { idByRaw[$0.rawItemID]! }, learned)
        }
    }

    /// Every source's lines seen in at least `minCount` articles.
    public func learnedLines(minCount: Int) throws -> [String: Set<String>] {
        guard minCount > 0 else { return [:] }
        return try withConnection { db in
            let rows = try db.query("SELECT source, line FROM learned_lines WHERE articles >= $1", [String(minCount)])
            var result: [String: Set<String>] = [:]
            for i in 0..<rows.count { result[rows.string(i, 0)!, default: []].insert(rows.string(i, 1)!) }
            return result
        }
    }

    // MARK: Reprocessing

    /// Empties stage 3 (and with `includingClean`, stage 2) and queues the earlier stage's rows again,
    /// so they can be rebuilt after a rule or parameter change; ids start again from 1, as on SQLite.
    /// One transaction: TRUNCATE waits for other processes' transactions on these tables and holds
    /// theirs off until it commits.
    public func resetStages(includingClean: Bool) throws {
        try write { db in
            try db.execute("""
                TRUNCATE lsh_buckets, signatures, dedup_queue, articles, clusters\(includingClean ? ", clean_queue, clean_articles" : "") RESTART IDENTITY;
                DELETE FROM settings WHERE key IN ('dedup.fingerprint', 'dedup.pruned_through');
                """)
            try db.execute(includingClean
                ? "INSERT INTO clean_queue (raw_item_id) SELECT id FROM raw_items ORDER BY id"
                : "INSERT INTO dedup_queue (clean_article_id) SELECT id FROM clean_articles ORDER BY id")
        }
    }

    // MARK: Stage 3's queue

    /// Claims up to `limit` stage-2 articles whose lease is free, expired or this process's, oldest first.
    public func pendingDedup(limit: Int) throws -> [CleanArticle] {
        try write { db in
            let rows = try db.query(Self.leasing("dedup_queue", key: "clean_article_id") + """

                SELECT c.id, c.raw_item_id, r.feed_id, r.guid, COALESCE(r.link, c.canonical_url), c.title, c.author,
                       COALESCE(r.published_at, c.published_at), c.text, c.text_hash
                FROM leased JOIN clean_articles c ON c.id = leased.clean_article_id JOIN raw_items r ON r.id = c.raw_item_id
                ORDER BY c.id
                """, [owner, String(limit), leaseInterval])
            return (0..<rows.count).map { i in
                CleanArticle(id: rows.int64(i, 0)!, rawItemID: rows.int64(i, 1)!, feedID: rows.int64(i, 2)!, guid: rows.string(i, 3)!,
                             url: rows.string(i, 4), title: rows.string(i, 5), author: rows.string(i, 6), publishedAt: rows.double(i, 7),
                             text: rows.string(i, 8)!, textHash: rows.string(i, 9)!)
            }
        }
    }

    /// The start of a claim on a stage queue: `leased` holds the `key` of up to $2 rows whose lease is
    /// free, expired or this process's ($1), oldest first (and after the parameter `after` names, when
    /// given), now leased to it for $3.
    static func leasing(_ queue: String, key: String, after: String? = nil) -> String {
        """
        WITH claimed AS (
            SELECT \(key) FROM \(queue)
            WHERE (lease_owner = $1 OR leased_until IS NULL OR leased_until < clock_timestamp())\(after.map { " AND \(key) > \($0)::bigint" } ?? "")
            ORDER BY \(key) LIMIT $2 FOR UPDATE SKIP LOCKED
        ), leased AS (
            UPDATE \(queue) q SET lease_owner = $1, leased_until = clock_timestamp() + $3::interval
            FROM claimed WHERE q.\(key) = claimed.\(key) RETURNING q.\(key)
        )
        """
    }
}
