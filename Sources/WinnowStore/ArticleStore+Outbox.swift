import Foundation
import GRDB
import WinnowDedup

/// A webhook delivery owed: one article, one event, one receiver (its body is made when it is sent).
public struct OutboxDelivery: Sendable, Equatable {
    public var id: Int64
    public var endpoint: String
    public var event: String
    public var articleID: Int64
    public var idempotencyKey: String
    public var attempts: Int

    public init(id: Int64 = 0, endpoint: String, event: String, articleID: Int64, idempotencyKey: String, attempts: Int = 0) {
        self.id = id
        self.endpoint = endpoint
        self.event = event
        self.articleID = articleID
        self.idempotencyKey = idempotencyKey
        self.attempts = attempts
    }
}

/// The outbox as `status` shows it.
public struct OutboxStatus: Sendable, Codable, Equatable {
    /// Deliveries owed.
    public var depth: Int
    /// When the oldest owed delivery was enqueued (seconds since 1970), or nil.
    public var oldestCreatedAt: Double?
    /// Deliveries the receivers took, since the store was made.
    public var delivered: Int
    /// The last failed delivery: to where and why; nil when none failed yet.
    public var lastError: String?
    public var lastErrorAt: Double?

    public init(depth: Int, oldestCreatedAt: Double? = nil, delivered: Int, lastError: String? = nil, lastErrorAt: Double? = nil) {
        self.depth = depth
        self.oldestCreatedAt = oldestCreatedAt
        self.delivered = delivered
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }

    enum CodingKeys: String, CodingKey {
        case depth, delivered
        case oldestCreatedAt = "oldest_created_at", lastError = "last_error", lastErrorAt = "last_error_at"
    }
}

extension ArticleStore {
    static let outboxCursorKey = "webhooks.enqueued_through"

    /// The last article id whose deliveries were enqueued. The first call (webhooks newly configured)
    /// sets it to the newest article: receivers get what is stored from then on, not the archive.
    public func outboxCursor() throws -> Int64 {
        try db.write { db in
            if let value = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [Self.outboxCursorKey]),
               let cursor = Int64(value) {
                return cursor
            }
            let newest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM articles") ?? 0
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?)", arguments: [Self.outboxCursorKey, String(newest)])
            return newest
        }
    }

    /// Adds deliveries and moves the cursor to `through`, in one transaction: an article's deliveries are
    /// enqueued exactly once whatever crashes. A delivery whose idempotency key is there already is skipped.
    public func enqueue(_ deliveries: [OutboxDelivery], through articleID: Int64, at time: Double = Date().timeIntervalSince1970) throws {
        try db.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO webhook_outbox (endpoint, event, article_id, idempotency_key, created_at)
                VALUES (?, ?, ?, ?, ?)
                """)
            for d in deliveries {
                try insert.execute(arguments: [d.endpoint, d.event, d.articleID, d.idempotencyKey, time])
            }
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [Self.outboxCursorKey, String(articleID)])
        }
    }

    /// The ids and verdicts of the articles stored after `articleID`, in order, at most `limit`: what an
    /// enqueue round needs (the event is the verdict's), without reading the texts.
    public func articleStatuses(after articleID: Int64, limit: Int) throws -> [(id: Int64, status: DedupStatus)] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT id, status FROM articles WHERE id > ? ORDER BY id LIMIT ?", arguments: [articleID, limit])
                .map { ($0[0], DedupStatus(rawValue: $0[1]) ?? .new) }
        }
    }

    /// When the receiver at `endpoint` may be tried next (0: now).
    public func endpointRetryTime(_ endpoint: String) throws -> Double {
        try db.read { try Double.fetchOne($0, sql: "SELECT retry_at FROM webhook_endpoints WHERE endpoint = ?", arguments: [endpoint]) ?? 0 }
    }

    /// The oldest deliveries owed to `endpoint`, in order, at most `limit`.
    public func owedDeliveries(to endpoint: String, limit: Int) throws -> [OutboxDelivery] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, endpoint, event, article_id, idempotency_key, attempts FROM webhook_outbox
                WHERE endpoint = ? ORDER BY id LIMIT ?
                """, arguments: [endpoint, limit]).map { row in
                OutboxDelivery(id: row[0], endpoint: row[1], event: row[2], articleID: row[3], idempotencyKey: row[4], attempts: row[5])
            }
        }
    }

    /// The receiver took the delivery: it leaves the outbox, and the receiver's backoff ends.
    public func markDelivered(_ delivery: OutboxDelivery) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM webhook_outbox WHERE id = ?", arguments: [delivery.id])
            if db.changesCount > 0 {
                try db.execute(sql: """
                    INSERT INTO settings (key, value) VALUES ('webhooks.delivered', '1')
                    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
                    """)
            }
            try db.execute(sql: "UPDATE webhook_endpoints SET failures = 0, retry_at = 0 WHERE endpoint = ? AND failures > 0",
                           arguments: [delivery.endpoint])
        }
    }

    /// The delivery has nothing to send (its article is gone): it leaves the outbox, not counted as delivered.
    public func dropDelivery(_ delivery: OutboxDelivery) throws {
        try db.write { try $0.execute(sql: "DELETE FROM webhook_outbox WHERE id = ?", arguments: [delivery.id]) }
    }

    /// The delivery failed: the receiver is not tried again before `retryAt` (its other deliveries wait
    /// behind this one, in order). Returns the receiver's failures in a row.
    @discardableResult
    public func markFailed(_ delivery: OutboxDelivery, error: String, retryAt: Double, at time: Double = Date().timeIntervalSince1970) throws -> Int {
        try db.write { db in
            try db.execute(sql: "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", arguments: [error, delivery.id])
            try db.execute(sql: """
                INSERT INTO webhook_endpoints (endpoint, failures, retry_at, last_error, last_error_at) VALUES (?1, 1, ?2, ?3, ?4)
                ON CONFLICT(endpoint) DO UPDATE SET failures = failures + 1, retry_at = ?2, last_error = ?3, last_error_at = ?4
                """, arguments: [delivery.endpoint, retryAt, error, time])
            return try Int.fetchOne(db, sql: "SELECT failures FROM webhook_endpoints WHERE endpoint = ?", arguments: [delivery.endpoint]) ?? 1
        }
    }

    /// The receiver's failures in a row (what the next backoff is computed from).
    public func endpointFailures(_ endpoint: String) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT failures FROM webhook_endpoints WHERE endpoint = ?", arguments: [endpoint]) ?? 0 }
    }

    /// Depth, age, delivered count and last error of the outbox.
    public func outboxStatus() throws -> OutboxStatus {
        try db.read { db in
            let hasOutbox = try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE name = 'webhook_outbox'") ?? false
            guard hasOutbox else { return OutboxStatus(depth: 0, delivered: 0) }
            let last = try Row.fetchOne(db, sql: "SELECT endpoint, last_error, last_error_at FROM webhook_endpoints WHERE last_error IS NOT NULL ORDER BY last_error_at DESC LIMIT 1")
            let delivered = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'webhooks.delivered'")
            return OutboxStatus(depth: try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_outbox") ?? 0,
                                oldestCreatedAt: try Double.fetchOne(db, sql: "SELECT created_at FROM webhook_outbox ORDER BY id LIMIT 1"),
                                delivered: Int(delivered ?? "0") ?? 0,
                                lastError: last.map { "\($0["endpoint"] as String): \($0["last_error"] as String)" },
                                lastErrorAt: last?["last_error_at"])
        }
    }
}
