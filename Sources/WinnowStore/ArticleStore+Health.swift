import Foundation
import GRDB
import WinnowDedup

/// One feed's health, for metrics and `status`: what people alert on when feeds die silently.
public struct FeedHealth: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// The last poll succeeded (or the feed was never polled yet).
        case ok
        /// The last poll failed.
        case failing
        /// Paused with `winnowctl pause`.
        case paused
        /// The server asked for rest (HTTP 429 or 503) and the feed waits for it.
        case hostResting = "host-resting"
    }

    public var name: String
    public var state: State
    public var consecutiveErrors: Int
    /// The start of the last successful fetch (seconds since 1970), or nil when none succeeded.
    public var lastSuccessAt: Double?

    public init(name: String, state: State, consecutiveErrors: Int, lastSuccessAt: Double?) {
        self.name = name
        self.state = state
        self.consecutiveErrors = consecutiveErrors
        self.lastSuccessAt = lastSuccessAt
    }

    enum CodingKeys: String, CodingKey {
        case name, state
        case consecutiveErrors = "consecutive_errors", lastSuccessAt = "last_success_at"
    }
}

extension ArticleStore {
    /// Every active feed's state and, for the failing ones, when they last succeeded (from fetch_log,
    /// through its (feed_id, started_at) index: one short range per failing feed).
    public func feedHealth() throws -> [FeedHealth] {
        try db.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT f.name, f.paused, f.consecutive_errors, f.last_status,
                       CASE WHEN f.consecutive_errors > 0 THEN
                           (SELECT max(l.started_at) FROM fetch_log l WHERE l.feed_id = f.id AND l.error_class IS NULL)
                       END AS last_success
                FROM feeds f WHERE f.active = 1 AND f.name != 'local' ORDER BY f.name
                """)
            return rows.map { row in
                let errors: Int = row["consecutive_errors"]
                let status: Int? = row["last_status"]
                let state: FeedHealth.State = row["paused"] ? .paused
                    : errors == 0 ? .ok
                    : status == 429 || status == 503 ? .hostResting : .failing
                return FeedHealth(name: row["name"], state: state, consecutiveErrors: errors, lastSuccessAt: row["last_success"])
            }
        }
    }
}
