import Foundation
import WinnowDedup
import WinnowStore

/// A feed handed to this daemon for one poll: its state and, on a store several daemons share, the
/// lease that fences the write of its fetch.
public struct PollClaim: Sendable {
    public var feed: FeedState
    /// The lease's token (PostgreSQL); nil on a store this daemon has to itself.
    public var token: Int64?

    public init(feed: FeedState, token: Int64? = nil) {
        self.feed = feed
        self.token = token
    }
}

/// What winnowd's service and poller need of a store, and nothing more: SQLite's `ArticleStore` (one
/// daemon, which polls whatever is due) and PostgreSQL's `PostgresStore` (several daemons, each
/// claiming due feeds under a lease) both implement it, so the same service runs on either.
public protocol DaemonStore: StageStore, InspectionStore {
    /// Whether feeds are claimed in small leased batches, because other daemons share the store.
    var sharesFeeds: Bool { get }
    /// Feeds to poll now: on SQLite every due feed (every active one with `all`), on PostgreSQL up to
    /// `limit` due feeds leased to this daemon, at most `perHost` of one host leased across daemons.
    func claimDue(now: Double, all: Bool, limit: Int, perHost: Int) throws -> [PollClaim]
    /// How many seconds from now this daemon's next request to `host` may start, `gap` after the
    /// previous one of any daemon sharing the store (0 on a store this daemon has to itself: its own
    /// HostGate and fetcher keep the gap); or, while a daemon's 429 or 503 rests the host, how many
    /// seconds the rest has left.
    func takeTurn(host: String, gap: Double) throws -> (startsIn: Double, restsFor: Double?)
    /// Rests `host` for the daemons sharing the store (nothing on a store this daemon has to itself:
    /// its own HostGate rests the host).
    func rest(host: String, for seconds: Double) throws
    /// Whether due feeds are left that no daemon holds (a claim left them for their host's limits).
    func hasUnclaimedDueFeeds(now: Double) throws -> Bool
    /// Records fetches in one transaction; each one's new items, or nil where the lease was lost
    /// (another daemon claimed the feed after this one's lease ran out: nothing was written).
    func record(_ batch: [(claim: PollClaim, outcome: FetchOutcome)]) throws -> [Int?]
    /// Gives claimed feeds back unpolled (their state unchanged), so another daemon may take them now.
    func release(_ claims: [PollClaim]) throws
    /// Moves a claimed feed's next poll out, without counting an error (its host rests), releasing it.
    func postpone(_ claim: PollClaim, until time: Double) throws
    /// When the next feed is due; nil when there is none.
    func nextDueTime() throws -> Double?
    func publishingTimes(feedID: Int64, limit: Int) throws -> [Double]
    func knownGuids(feedID: Int64, among guids: [String]) throws -> Set<String>
    func setPaused(_ name: String, _ paused: Bool) throws -> Bool
    func fetchNow(_ name: String?) throws -> Int
    /// Empties stage 3 (and stage 2 with `includingClean`) for a reprocess.
    func resetStages(includingClean: Bool) throws
    /// Keeps the LSH index to the retention window; returns how many articles left it.
    func pruneIndex(createdBefore cutoff: Double, with dedup: Deduplicator) throws -> Int
    /// Whether the database answers (for the systemd watchdog).
    func healthCheck() -> Bool
}

extension ArticleStore: DaemonStore {
    public var sharesFeeds: Bool { false }

    public func claimDue(now: Double, all: Bool, limit: Int, perHost: Int) throws -> [PollClaim] {
        (all ? try feeds().filter(\.active) : try dueFeeds(now: now)).map { PollClaim(feed: $0) }
    }

    public func takeTurn(host: String, gap: Double) throws -> (startsIn: Double, restsFor: Double?) { (0, nil) }

    public func rest(host: String, for seconds: Double) throws {}

    public func release(_ claims: [PollClaim]) throws {}

    public func hasUnclaimedDueFeeds(now: Double) throws -> Bool { false }

    public func record(_ batch: [(claim: PollClaim, outcome: FetchOutcome)]) throws -> [Int?] {
        try record(batch.map { ($0.claim.feed.id, $0.outcome) })
    }

    public func postpone(_ claim: PollClaim, until time: Double) throws {
        try postpone(feedID: claim.feed.id, until: time)
    }

    public func pruneIndex(createdBefore cutoff: Double, with dedup: Deduplicator) throws -> Int {
        try pruneIndex(createdBefore: cutoff, with: dedup, batch: 1000)
    }
}
