import Foundation
import GRDB

/// A webhook delivery owed: its signed body is computed from `payload` when it is sent.
public struct OutboxDelivery: Sendable, Equatable {
    public var id: Int64
    public var endpoint: String
    public var event: String
    public var articleID: Int64
    public var idempotencyKey: String
    public var payload: String
    public var attempts: Int
    public var createdAt: Double

    public init(id: Int64 = 0, endpoint: String, event: String, articleID: Int64, idempotencyKey: String, payload: String,
                attempts: Int = 0, createdAt: Double = 0) {
        self.id = id
        self.endpoint = endpoint
        self.event = event
        self.articleID = articleID
        self.idempotencyKey = idempotencyKey
        self.payload = payload
        self.attempts = attempts
        self.createdAt = createdAt
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
    /// The last failed delivery: when, to where, why; nil when none failed yet.
    public var lastError: String?
    public var lastErrorAt: Double?

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
                INSERT OR IGNORE INTO webhook_outbox (endpoint, event, article_id, idempotency_key, payload, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for d in deliveries {
                try insert.execute(arguments: [d.endpoint, d.event, d.articleID, d.idempotencyKey, d.payload, time, time])
            }
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [Self.outboxCursorKey, String(articleID)])
        }
    }

    /// Deliveries due at `now`, oldest first, at most `limit`.
    public func dueDeliveries(now: Double, limit: Int) throws -> [OutboxDelivery] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, endpoint, event, article_id, idempotency_key, payload, attempts, created_at FROM webhook_outbox
                WHERE next_attempt_at <= ? ORDER BY id LIMIT ?
                """, arguments: [now, limit]).map { row in
                OutboxDelivery(id: row[0], endpoint: row[1], event: row[2], articleID: row[3], idempotencyKey: row[4], payload: row[5],
                               attempts: row[6], createdAt: row[7])
            }
        }
    }

    /// When the next owed delivery is due; nil when none is owed.
    public func nextDeliveryTime() throws -> Double? {
        try db.read { try Double.fetchOne($0, sql: "SELECT min(next_attempt_at) FROM webhook_outbox") }
    }

    /// The receiver took the delivery: it leaves the outbox.
    public func markDelivered(_ id: Int64) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM webhook_outbox WHERE id = ?", arguments: [id])
            if db.changesCount > 0 {
                try db.execute(sql: """
                    INSERT INTO settings (key, value) VALUES ('webhooks.delivered', '1')
                    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
                    """)
            }
        }
    }

    /// The delivery failed: it is tried again at `retryAt`, and the endpoint's other owed deliveries wait
    /// as long (a receiver that is down is not asked once per article, and order is kept).
    public func markFailed(_ delivery: OutboxDelivery, error: String, retryAt: Double, at time: Double = Date().timeIntervalSince1970) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                           arguments: [error, retryAt, delivery.id])
            try db.execute(sql: "UPDATE webhook_outbox SET next_attempt_at = ? WHERE endpoint = ? AND next_attempt_at < ?",
                           arguments: [retryAt, delivery.endpoint, retryAt])
            for (key, value) in [("webhooks.last_error", "\(delivery.endpoint): \(error)"), ("webhooks.last_error_at", String(time))] {
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [key, value])
            }
        }
    }

    /// Depth, age, delivered count and last error of the outbox.
    public func outboxStatus() throws -> OutboxStatus {
        try db.read { db in
            func setting(_ key: String) throws -> String? {
                try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
            }
            let hasOutbox = try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE name = 'webhook_outbox'") ?? false
            guard hasOutbox else { return OutboxStatus(depth: 0, delivered: 0) }
            return OutboxStatus(depth: try Int.fetchOne(db, sql: "SELECT count(*) FROM webhook_outbox") ?? 0,
                                oldestCreatedAt: try Double.fetchOne(db, sql: "SELECT min(created_at) FROM webhook_outbox"),
                                delivered: Int(try setting("webhooks.delivered") ?? "0") ?? 0,
                                lastError: try setting("webhooks.last_error"),
                                lastErrorAt: try setting("webhooks.last_error_at").flatMap(Double.init))
        }
    }
}
