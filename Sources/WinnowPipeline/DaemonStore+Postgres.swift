import Foundation
import WinnowDedup
import WinnowPostgres
import WinnowStore

/// winnowd on PostgreSQL: feeds are claimed a few at a time under a lease, within per-host limits
/// that hold across daemons, and each fetch is recorded fenced by its lease's token.
extension PostgresStore: DaemonStore {
    public var sharesFeeds: Bool { true }

    public func claimDue(now: Double, all: Bool, limit: Int, perHost: Int) throws -> [PollClaim] {
        try claimDueFeeds(now: now, limit: limit, perHost: perHost).map { PollClaim(feed: $0.feed, token: $0.token) }
    }

    public func record(_ batch: [(claim: PollClaim, outcome: FetchOutcome)]) throws -> [Int?] {
        try record(batch.map { (FeedLease(feed: $0.claim.feed, token: $0.claim.token ?? -1), $0.outcome) })
    }

    public func release(_ claims: [PollClaim]) throws {
        try release(claims.map { FeedLease(feed: $0.feed, token: $0.token ?? -1) })
    }

    public func postpone(_ claim: PollClaim, until time: Double) throws {
        try postpone(FeedLease(feed: claim.feed, token: claim.token ?? -1), until: time)
    }

    /// The LSH index's rows of articles older than the window, deleted as on SQLite (`PostgresStore+Retention`).
    public func pruneIndex(createdBefore cutoff: Double, with dedup: Deduplicator) throws -> Int {
        try pruneIndex(createdBefore: cutoff, with: dedup, batch: 1000)
    }
}
