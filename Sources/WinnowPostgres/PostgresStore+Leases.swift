import Foundation
import WinnowDedup
import WinnowFeeds
import WinnowStore

/// A feed claimed for one fetch: its state, and the token that fences the fetch's write.
public struct FeedLease: Sendable, Equatable {
    public var feed: FeedState
    public var token: Int64

    public init(feed: FeedState, token: Int64) {
        self.feed = feed
        self.token = token
    }
}

/// A daemon as `status` lists it.
public struct DaemonState: Sendable, Codable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int
    /// Seconds since 1970, on the database clock.
    public var startedAt: Double
    public var heartbeatAt: Double
    /// Feeds and queued items whose lease it holds now.
    public var leases: Int

    enum CodingKeys: String, CodingKey {
        case id, host, pid, leases
        case startedAt = "started_at", heartbeatAt = "heartbeat_at"
    }
}

/// Feed leasing for several daemons (see docs/scale-out.md). Miniflux picks due feeds with a plain
/// SELECT and writes `next_check_at` after the fetch, so two schedulers fetch the same feeds; here the
/// claim is the write.
extension PostgresStore {
    /// Claims up to `limit` due feeds (active, not paused, due at `now`, lease free or expired), most
    /// overdue first, and leases them to this process; each claimed feed gets a new token from a
    /// sequence. Claims are serialized between processes by an advisory transaction lock (a claim is
    /// one short statement, so they queue for milliseconds), which is what lets the per-host limits
    /// hold across daemons: a claim sees every lease committed before it.
    /// With `perHost`, at most that many feeds of one host are leased at once across all daemons (a
    /// leased feed is one being fetched, or about to be, or being recorded): the per-host connection
    /// limit between daemons. (The gap between requests is kept at send time: `takeTurn`.)
    public func claimDueFeeds(now: Double, limit: Int, perHost: Int = .max) throws -> [FeedLease] {
        try write { db in
            try db.query("SELECT pg_advisory_xact_lock($1)", [String(Self.claimLock)])
            // A separate statement after the lock: READ COMMITTED gives it a snapshot that includes the
            // leases the previous claimer committed. The UPDATE's own WHERE repeats the due and free
            // conditions, so a row a concurrent record() changed while this waited on its lock is left out.
            let rows = try db.query("""
                WITH busy AS (
                    SELECT coalesce(host, '') AS host, count(*) AS n FROM feeds WHERE leased_until >= clock_timestamp() GROUP BY 1
                ), candidates AS (
                    -- The most overdue free feeds, a bounded number (the feeds_due index, in order): ranking
                    -- every due feed by host made each claim of a 10,000-feed cycle sort all of them.
                    SELECT f.id, f.next_fetch_at, coalesce(f.host, '') AS host
                    FROM feeds f
                    WHERE f.active AND NOT f.paused AND f.name <> 'local' AND f.next_fetch_at <= $1::double precision
                      AND (f.leased_until IS NULL OR f.leased_until < clock_timestamp())
                    ORDER BY f.next_fetch_at, f.id LIMIT $6
                ), due AS (
                    SELECT c.id, c.next_fetch_at, row_number() OVER (PARTITION BY c.host ORDER BY c.next_fetch_at, c.id) AS turn, c.host
                    FROM candidates c
                ), picked AS (
                    SELECT d.id FROM due d LEFT JOIN busy b ON b.host = d.host
                    WHERE d.turn + coalesce(b.n, 0) <= $5::bigint
                    ORDER BY d.next_fetch_at, d.id LIMIT $2
                )
                UPDATE feeds f SET lease_owner = $3, lease_token = nextval('lease_tokens'), leased_until = clock_timestamp() + $4::interval
                FROM picked WHERE f.id = picked.id AND f.next_fetch_at <= $1::double precision
                  AND (f.leased_until IS NULL OR f.leased_until < clock_timestamp())
                RETURNING \(Self.feedColumns.split(separator: ",").map { "f." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")),
                          f.lease_token
                """, [String(now), String(limit), owner, leaseInterval, String(min(perHost, Int(Int32.max))),
                      String(perHost >= limit ? limit : max(1000, limit * 32))])
            return (0..<rows.count).map { i in
                FeedLease(feed: Self.feedState(rows, i), token: rows.int64(i, 13)!)
            }.sorted { ($0.feed.nextFetchAt, $0.feed.id) < ($1.feed.nextFetchAt, $1.feed.id) }
        }
    }

    /// Any constant: the advisory lock that serializes feed claims between processes.
    static let claimLock: Int64 = 0x5769_6E6E_6F77_436C  // "WinnowCl"

    /// Records a fetch of a leased feed (its fetch_log row, new items queued for cleaning, the feed's
    /// new state) in one transaction, fenced by the lease's token: when another daemon has claimed the
    /// feed since (this one stalled past its lease), nothing is written and nil is returned. Otherwise
    /// the lease is released and the number of new items returned.
    public func record(_ lease: FeedLease, outcome: FetchOutcome) throws -> Int? {
        try record([(lease, outcome)])[0]
    }

    /// Records many fetches of leased feeds in one transaction, each fenced by its own token as
    /// `record(_:outcome:)`, in a handful of set statements for the whole batch: statements per fetch
    /// (the fence, the items, the log row, the feed) made a 10,000-feed cycle 40,000 round trips.
    public func record(_ batch: [(lease: FeedLease, outcome: FetchOutcome)]) throws -> [Int?] {
        guard !batch.isEmpty else { return [] }
        return try write { db in try Self.record(batch, db) }
    }

    private static func record(_ batch: [(lease: FeedLease, outcome: FetchOutcome)], _ db: PGConnection) throws -> [Int?] {
        // The fence: the rows still held under these tokens, locked in id order (two batches never
        // deadlock); the row locks also keep a claim from slipping in before the commit.
        let held = Set(try db.query("""
            SELECT f.id FROM feeds f JOIN unnest($1::bigint[], $2::bigint[]) AS t(id, token) ON f.id = t.id AND f.lease_token = t.token
            ORDER BY f.id FOR UPDATE OF f
            """, [PGText.array(batch.map(\.lease.feed.id)), PGText.array(batch.map(\.lease.token))]).int64Column)
        let kept = batch.filter { held.contains($0.lease.feed.id) }
        guard !kept.isEmpty else { return batch.map { _ in nil } }

        var inserted: [Int64: Int] = [:]
        let items = kept.flatMap { entry in entry.outcome.items.map { (feed: entry.lease.feed.id, fetchedAt: entry.outcome.startedAt, item: $0) } }
        if !items.isEmpty {
            let hashes = items.map { String(StableHash.hash([$0.item.title ?? "", $0.item.summary ?? "", $0.item.content ?? ""].joined(separator: "\u{1F}")), radix: 16) }
            let rows = try db.query("""
                WITH new AS (
                    INSERT INTO raw_items (feed_id, guid, link, title, author, published_at, published_raw, summary, content, content_hash, fetched_at)
                    SELECT fi, g, l, ti, a, p, pr, s, c, h, fa
                    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::double precision[], $7::text[], $8::text[],
                                $9::text[], $10::text[], $11::double precision[]) WITH ORDINALITY AS t(fi, g, l, ti, a, p, pr, s, c, h, fa, o)
                    ORDER BY o
                    ON CONFLICT (feed_id, guid) DO NOTHING
                    RETURNING id, feed_id
                ), queued AS (
                    INSERT INTO clean_queue (raw_item_id) SELECT id FROM new
                )
                SELECT feed_id, count(*) FROM new GROUP BY feed_id
                """, [
                    PGText.array(items.map(\.feed)), PGText.array(items.map { Optional($0.item.guid) }), PGText.array(items.map(\.item.link)),
                    PGText.array(items.map(\.item.title)), PGText.array(items.map(\.item.author)),
                    PGText.array(items.map { $0.item.published?.timeIntervalSince1970 }), PGText.array(items.map(\.item.publishedRaw)),
                    PGText.array(items.map(\.item.summary)), PGText.array(items.map(\.item.content)), PGText.array(hashes.map { Optional($0) }),
                    PGText.array(items.map { Optional($0.fetchedAt) }),
                ])
            for i in 0..<rows.count { inserted[rows.int64(i, 0)!] = rows.int(i, 1)! }
        }
        let text: (Int?) -> String? = { $0.map(String.init) }
        try db.query("""
            INSERT INTO fetch_log (feed_id, started_at, duration_ms, http_status, bytes, new_items, error_class, error)
            SELECT * FROM unnest($1::bigint[], $2::double precision[], $3::int[], $4::int[], $5::bigint[], $6::int[], $7::text[], $8::text[])
            """, [
                PGText.array(kept.map(\.lease.feed.id)), PGText.array(kept.map { Optional($0.outcome.startedAt) }),
                PGText.array(kept.map { text($0.outcome.durationMS) }), PGText.array(kept.map { text($0.outcome.httpStatus) }),
                PGText.array(kept.map { text($0.outcome.bytes) }), PGText.array(kept.map { text(inserted[$0.lease.feed.id] ?? 0) }),
                PGText.array(kept.map(\.outcome.errorClass)), PGText.array(kept.map(\.outcome.error)),
            ])
        let succeeded = kept.filter(\.outcome.succeeded), failed = kept.filter { !$0.outcome.succeeded }
        if !succeeded.isEmpty {
            // As the SQLite store: a full response's validators replace the stored ones; a 304 keeps them.
            try db.query("""
                UPDATE feeds f SET etag = CASE WHEN t.st = 304 THEN coalesce(t.et, f.etag) ELSE t.et END,
                    last_modified = CASE WHEN t.st = 304 THEN coalesce(t.lm, f.last_modified) ELSE t.lm END,
                    url = coalesce(t.nu, f.url), host = coalesce(t.nh, f.host), next_fetch_at = t.nf, last_fetch_at = t.sa, last_status = t.st,
                    last_error = NULL, consecutive_errors = 0, item_count = f.item_count + t.n, lease_owner = NULL, leased_until = NULL
                FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::double precision[],
                            $8::double precision[], $9::int[]) AS t(id, st, et, lm, nu, nh, nf, sa, n)
                WHERE f.id = t.id
                """, [
                    PGText.array(succeeded.map(\.lease.feed.id)), PGText.array(succeeded.map { text($0.outcome.httpStatus) }),
                    PGText.array(succeeded.map(\.outcome.etag)), PGText.array(succeeded.map(\.outcome.lastModified)),
                    PGText.array(succeeded.map(\.outcome.newURL)), PGText.array(succeeded.map { $0.outcome.newURL.map(Self.hostKey) }),
                    PGText.array(succeeded.map { Optional($0.outcome.nextFetchAt) }), PGText.array(succeeded.map { Optional($0.outcome.startedAt) }),
                    PGText.array(succeeded.map { text(inserted[$0.lease.feed.id] ?? 0) }),
                ])
        }
        if !failed.isEmpty {
            try db.query("""
                UPDATE feeds f SET next_fetch_at = t.nf, last_fetch_at = t.sa, last_status = t.st, last_error = t.er,
                    consecutive_errors = f.consecutive_errors + 1, lease_owner = NULL, leased_until = NULL
                FROM unnest($1::bigint[], $2::double precision[], $3::double precision[], $4::int[], $5::text[]) AS t(id, nf, sa, st, er)
                WHERE f.id = t.id
                """, [
                    PGText.array(failed.map(\.lease.feed.id)), PGText.array(failed.map { Optional($0.outcome.nextFetchAt) }),
                    PGText.array(failed.map { Optional($0.outcome.startedAt) }), PGText.array(failed.map { text($0.outcome.httpStatus) }),
                    PGText.array(failed.map(\.outcome.error)),
                ])
        }
        return batch.map { held.contains($0.lease.feed.id) ? inserted[$0.lease.feed.id] ?? 0 : nil }
    }

    /// Says this process is alive (its row in `daemons`, the heartbeat on the database clock).
    public func heartbeat() throws {
        try write { db in
            _ = try db.query("""
                INSERT INTO daemons (id, host, pid) VALUES ($1, $2, $3)
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = clock_timestamp()
                """, [owner, ProcessInfo.processInfo.hostName, String(getpid())])
        }
    }

    /// Removes this process's row (a clean stop).
    public func signOff() throws {
        try write { db in _ = try db.query("DELETE FROM daemons WHERE id = $1", [owner]) }
    }

    /// Daemons whose heartbeat is at most `within` seconds old, and at most three beats old for a
    /// daemon that says how often it beats (a killed one drops out within three beats), with the
    /// leases each holds now.
    public func liveDaemons(within seconds: Double = 60) throws -> [DaemonState] {
        try withConnection { db in
            let rows = try db.query("""
                SELECT d.id, d.host, d.pid, extract(epoch FROM d.started_at), extract(epoch FROM d.heartbeat_at),
                       (SELECT count(*) FROM feeds WHERE lease_owner = d.id AND leased_until > clock_timestamp())
                     + (SELECT count(*) FROM clean_queue WHERE lease_owner = d.id AND leased_until > clock_timestamp())
                     + (SELECT count(*) FROM dedup_queue WHERE lease_owner = d.id AND leased_until > clock_timestamp())
                FROM daemons d
                WHERE d.heartbeat_at > clock_timestamp() - least($1::double precision, coalesce(3 * d.beat_seconds, $1::double precision)) * interval '1 second'
                ORDER BY d.started_at, d.id
                """, [String(seconds)])
            return (0..<rows.count).map { i in
                DaemonState(id: rows.string(i, 0)!, host: rows.string(i, 1)!, pid: rows.int(i, 2)!, startedAt: rows.double(i, 3)!,
                            heartbeatAt: rows.double(i, 4)!, leases: rows.int(i, 5)!)
            }
        }
    }
}
