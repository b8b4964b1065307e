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
                ), due AS (
                    SELECT f.id, f.next_fetch_at, row_number() OVER (PARTITION BY coalesce(f.host, '') ORDER BY f.next_fetch_at, f.id) AS turn, coalesce(f.host, '') AS host
                    FROM feeds f
                    WHERE f.active AND NOT f.paused AND f.name <> 'local' AND f.next_fetch_at <= $1::double precision
                      AND (f.leased_until IS NULL OR f.leased_until < clock_timestamp())
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
                """, [String(now), String(limit), owner, leaseInterval, String(min(perHost, Int(Int32.max)))])
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

    /// Records many fetches of leased feeds in one transaction (a commit per fetch made the writer a
    /// poll cycle's bottleneck on SQLite); each is fenced by its own token, as `record(_:outcome:)`.
    public func record(_ batch: [(lease: FeedLease, outcome: FetchOutcome)]) throws -> [Int?] {
        guard !batch.isEmpty else { return [] }
        return try write { db in try batch.map { try Self.record($0.lease, outcome: $0.outcome, db) } }
    }

    private static func record(_ lease: FeedLease, outcome: FetchOutcome, _ db: PGConnection) throws -> Int? {
        let feedID = String(lease.feed.id)
        // The fence: this row lock also keeps a claim from slipping in before the commit.
        let held = try db.query("SELECT 1 FROM feeds WHERE id = $1 AND lease_token = $2 FOR UPDATE", [feedID, String(lease.token)])
        guard held.count == 1 else { return nil }
        let items = outcome.items
        var inserted = 0
        if !items.isEmpty {
            let hashes = items.map { String(StableHash.hash([$0.title ?? "", $0.summary ?? "", $0.content ?? ""].joined(separator: "\u{1F}")), radix: 16) }
            let ids = try db.query("""
                WITH new AS (
                    INSERT INTO raw_items (feed_id, guid, link, title, author, published_at, published_raw, summary, content, content_hash, fetched_at)
                    SELECT $1::bigint, g, l, ti, a, p, pr, s, c, h, $11::double precision
                    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::double precision[], $7::text[], $8::text[], $9::text[], $10::text[])
                        AS t(g, l, ti, a, p, pr, s, c, h)
                    ON CONFLICT (feed_id, guid) DO NOTHING
                    RETURNING id
                )
                INSERT INTO clean_queue (raw_item_id) SELECT id FROM new RETURNING raw_item_id
                """, [
                    feedID, PGText.array(items.map { Optional($0.guid) }), PGText.array(items.map(\.link)),
                    PGText.array(items.map(\.title)), PGText.array(items.map(\.author)),
                    PGText.array(items.map { $0.published?.timeIntervalSince1970 }), PGText.array(items.map(\.publishedRaw)),
                    PGText.array(items.map(\.summary)), PGText.array(items.map(\.content)), PGText.array(hashes.map { Optional($0) }),
                    String(outcome.startedAt),
                ])
            inserted = ids.count
        }
        try db.query("""
            INSERT INTO fetch_log (feed_id, started_at, duration_ms, http_status, bytes, new_items, error_class, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [feedID, String(outcome.startedAt), String(outcome.durationMS), outcome.httpStatus.map(String.init), String(outcome.bytes),
                  String(inserted), outcome.errorClass, outcome.error])
        if outcome.succeeded {
            // As the SQLite store: a full response's validators replace the stored ones; a 304 keeps them.
            try db.query("""
                UPDATE feeds SET etag = CASE WHEN $1::integer = 304 THEN coalesce($2, etag) ELSE $2 END,
                    last_modified = CASE WHEN $1::integer = 304 THEN coalesce($3, last_modified) ELSE $3 END,
                    url = coalesce($4, url), host = coalesce($9, host), next_fetch_at = $5, last_fetch_at = $6, last_status = $1::integer,
                    last_error = NULL, consecutive_errors = 0, item_count = item_count + $8,
                    lease_owner = NULL, leased_until = NULL
                WHERE id = $7
                """, [outcome.httpStatus.map(String.init), outcome.etag, outcome.lastModified, outcome.newURL, String(outcome.nextFetchAt),
                      String(outcome.startedAt), feedID, String(inserted), outcome.newURL.map(Self.hostKey)])
        } else {
            try db.query("""
                UPDATE feeds SET next_fetch_at = $1, last_fetch_at = $2, last_status = $3, last_error = $4,
                    consecutive_errors = consecutive_errors + 1, lease_owner = NULL, leased_until = NULL
                WHERE id = $5
                """, [String(outcome.nextFetchAt), String(outcome.startedAt), outcome.httpStatus.map(String.init), outcome.error, feedID])
        }
        return inserted
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

    /// Daemons whose heartbeat is at most `within` seconds old, with the leases each holds now.
    public func liveDaemons(within seconds: Double = 60) throws -> [DaemonState] {
        try withConnection { db in
            let rows = try db.query("""
                SELECT d.id, d.host, d.pid, extract(epoch FROM d.started_at), extract(epoch FROM d.heartbeat_at),
                       (SELECT count(*) FROM feeds WHERE lease_owner = d.id AND leased_until > clock_timestamp())
                     + (SELECT count(*) FROM clean_queue WHERE lease_owner = d.id AND leased_until > clock_timestamp())
                     + (SELECT count(*) FROM dedup_queue WHERE lease_owner = d.id AND leased_until > clock_timestamp())
                FROM daemons d WHERE d.heartbeat_at > clock_timestamp() - $1::double precision * interval '1 second'
                ORDER BY d.started_at, d.id
                """, [String(seconds)])
            return (0..<rows.count).map { i in
                DaemonState(id: rows.string(i, 0)!, host: rows.string(i, 1)!, pid: rows.int(i, 2)!, startedAt: rows.double(i, 3)!,
                            heartbeatAt: rows.double(i, 4)!, leases: rows.int(i, 5)!)
            }
        }
    }
}
