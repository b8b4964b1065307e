import Foundation
import WinnowStore

/// What winnowd needs of the store beside feed leases and the stages: the scheduler's reads, the
/// control socket's changes, the fetch log's readers. The same meaning as the SQLite store's methods
/// of the same names (Sources/WinnowStore/ArticleStore+Feeds.swift).
extension PostgresStore {
    /// The host part of a URL as the fetcher's per-host limits count it (lowercased name, with the
    /// port when the URL names one): the same key as WinnowFetch's `hostKey(for:)`, which this module
    /// does not depend on.
    public static func hostKey(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host?.lowercased() else { return url }
        return components.port.map { "\(host):\($0)" } ?? host
    }

    /// When there is next something to do: an active feed due, or its lease ending when another daemon
    /// holds it, or queued stage work free (now) or its lease ending (so an idle daemon wakes when a
    /// dead one's feeds and items can be taken over); nil when there is nothing. Lease ends are on the
    /// database clock, due times on the daemons': close enough to decide when to look again.
    public func nextDueTime() throws -> Double? {
        try withConnection { db in
            try db.query("""
                SELECT least(
                    (SELECT min(CASE WHEN leased_until > clock_timestamp() THEN greatest(next_fetch_at, extract(epoch FROM leased_until)::double precision)
                                     ELSE next_fetch_at END)
                     FROM feeds WHERE active AND NOT paused AND name <> 'local'),
                    (SELECT extract(epoch FROM min(coalesce(leased_until, clock_timestamp())))::double precision FROM clean_queue WHERE lease_owner IS DISTINCT FROM $1),
                    (SELECT extract(epoch FROM min(coalesce(leased_until, clock_timestamp())))::double precision FROM dedup_queue WHERE lease_owner IS DISTINCT FROM $1))
                """, [owner]).double(0, 0)
        }
    }

    /// Whether a feed is due and free of any lease, but was not claimed because of its host's limits:
    /// the caller looks again shortly instead of ending its cycle.
    public func hasUnclaimedDueFeeds(now: Double) throws -> Bool {
        try withConnection { db in
            try db.query("""
                SELECT EXISTS (SELECT 1 FROM feeds WHERE active AND NOT paused AND name <> 'local' AND next_fetch_at <= $1::double precision
                               AND (leased_until IS NULL OR leased_until < clock_timestamp()))
                """, [String(now)]).bool(0, 0) ?? false
        }
    }

    /// Moves a leased feed's next poll out to `time` (never earlier) and gives its lease back, without
    /// counting an error: its host asked for a rest. Fenced by the token, as a recorded fetch.
    public func postpone(_ lease: FeedLease, until time: Double) throws {
        try write { db in
            _ = try db.query("""
                UPDATE feeds SET next_fetch_at = greatest(next_fetch_at, $1::double precision), lease_owner = NULL, leased_until = NULL
                WHERE id = $2 AND lease_token = $3
                """, [String(time), String(lease.feed.id), String(lease.token)])
        }
    }

    /// Gives leased feeds back unfetched (a daemon stopping with claims in hand), fenced by their tokens.
    public func release(_ leases: [FeedLease]) throws {
        guard !leases.isEmpty else { return }
        try write { db in
            _ = try db.query("""
                UPDATE feeds f SET lease_owner = NULL, leased_until = NULL
                FROM unnest($1::bigint[], $2::bigint[]) AS t(id, token) WHERE f.id = t.id AND f.lease_token = t.token
                """, [PGText.array(leases.map(\.feed.id)), PGText.array(leases.map(\.token))])
        }
    }

    /// Pauses or resumes a feed by name; false when no configured feed has that name.
    public func setPaused(_ name: String, _ paused: Bool) throws -> Bool {
        try write { db in
            try db.query("UPDATE feeds SET paused = $1 WHERE name = $2 AND active RETURNING id", [paused ? "true" : "false", name]).count > 0
        }
    }

    /// Makes one feed (or, with nil, every active feed) due now; returns how many.
    public func fetchNow(_ name: String?) throws -> Int {
        try write { db in
            if let name { return try db.query("UPDATE feeds SET next_fetch_at = 0 WHERE name = $1 AND active RETURNING id", [name]).count }
            return try db.query("UPDATE feeds SET next_fetch_at = 0 WHERE active AND name <> 'local' RETURNING id").count
        }
    }

    /// The publication times (else first-seen times) of a feed's newest stored items, newest first.
    public func publishingTimes(feedID: Int64, limit: Int) throws -> [Double] {
        try withConnection { db in
            let rows = try db.query("""
                SELECT COALESCE(published_at, fetched_at) AS t FROM raw_items WHERE feed_id = $1 ORDER BY t DESC LIMIT $2
                """, [String(feedID), String(limit)])
            return (0..<rows.count).compactMap { rows.double($0, 0) }
        }
    }

    /// Which of these guids the feed already has in stage 1.
    public func knownGuids(feedID: Int64, among guids: [String]) throws -> Set<String> {
        guard !guids.isEmpty else { return [] }
        return try withConnection { db in
            let rows = try db.query("SELECT guid FROM raw_items WHERE feed_id = $1 AND guid = ANY($2::text[])",
                                    [String(feedID), PGText.array(guids.map { Optional($0) })])
            return Set((0..<rows.count).compactMap { rows.string($0, 0) })
        }
    }

    /// Takes the next turn to send a request to `host`, `gap` seconds after the previous turn whoever
    /// took it (`host_turns`, on the database clock). Returns how many seconds from now it starts, or,
    /// while any daemon's 429 or 503 rests the host, how many seconds the rest has left (no turn is
    /// taken). Taken right before sending, on a connection of its own (a dedup transaction on the
    /// store's connection must not hold up fetches): the row lock orders daemons asking at the same moment.
    public func takeTurn(host: String, gap: Double) throws -> (startsIn: Double, restsFor: Double?) {
        try turns.withLock { turns in
            if turns == nil { turns = try PGConnection(url: url) }
            let rows = try turns!.query("""
                WITH now AS (SELECT extract(epoch FROM clock_timestamp()) AS t)
                INSERT INTO host_turns AS h (host, next_start) SELECT $1, now.t + $2::double precision FROM now
                ON CONFLICT (host) DO UPDATE SET next_start = CASE WHEN h.resting_until > (SELECT t FROM now) THEN h.next_start
                    ELSE greatest(h.next_start, (SELECT t FROM now)) + $2::double precision END
                RETURNING next_start - $2::double precision - (SELECT t FROM now), resting_until - (SELECT t FROM now)
                """, [host, String(gap)])
            if let rest = rows.double(0, 1), rest > 0 { return (0, rest) }
            return (rows.double(0, 0) ?? 0, nil)
        }
    }

    /// Rests `host` for every daemon sharing the store: `takeTurn` answers with the rest until
    /// `seconds` from now have passed (a longer rest already asked for stands).
    public func rest(host: String, for seconds: Double) throws {
        try turns.withLock { turns in
            if turns == nil { turns = try PGConnection(url: url) }
            try turns!.query("""
                WITH now AS (SELECT extract(epoch FROM clock_timestamp()) AS t)
                INSERT INTO host_turns AS h (host, next_start, resting_until) SELECT $1, now.t, now.t + $2::double precision FROM now
                ON CONFLICT (host) DO UPDATE SET resting_until = greatest(coalesce(h.resting_until, 0), (SELECT t FROM now) + $2::double precision)
                """, [host, String(seconds)])
        }
    }

    /// Whether the database answers.
    public func healthCheck() -> Bool {
        (try? withConnection { try $0.query("SELECT 1").int(0, 0) }) == 1
    }
}

/// Keeps this process's row in `daemons` fresh from a thread and a connection of its own, so a long
/// dedup transaction on the store's connection never delays it (a late heartbeat would make `status`
/// drop a daemon that is working). `stop()` removes the row (a clean stop).
public final class DaemonHeartbeat: @unchecked Sendable {  // `stopped` is guarded by `condition`
    private let store: PostgresStore
    private let connection: PGConnection
    private let interval: Double
    private let condition = NSCondition()
    private var stopped = false
    /// The connection is used by the beating thread and by `stop()`.
    private let connectionLock = NSLock()

    /// Connects, writes the first heartbeat, and starts beating every `interval` seconds.
    public init(store: PostgresStore, url: String, interval: Double) throws {
        self.store = store
        self.interval = interval
        connection = try PGConnection(url: url)
        try beat()
        Thread.detachNewThread { [self] in
            condition.lock()
            while !stopped {
                _ = condition.wait(until: Date().addingTimeInterval(self.interval))
                if stopped { break }
                condition.unlock()
                try? beat()  // a missed beat is made up by the next one
                condition.lock()
            }
            condition.unlock()
        }
    }

    private func beat() throws {
        try connectionLock.withLock { _ = try connection.query("""
            INSERT INTO daemons (id, host, pid, beat_seconds) VALUES ($1, $2, $3, $4)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = clock_timestamp()
            """, [store.owner, ProcessInfo.processInfo.hostName, String(getpid()), String(interval)]) }
    }

    /// Stops beating and removes the row.
    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        connectionLock.withLock { _ = try? connection.query("DELETE FROM daemons WHERE id = $1", [store.owner]) }
    }
}
