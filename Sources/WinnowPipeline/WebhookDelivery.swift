import Foundation
import Logging
import Synchronization
import WinnowFetch
import WinnowStore

/// Delivers stored articles to the configured webhooks through the store's durable outbox. Runs beside
/// the pipeline, never in it: a receiver that is slow or down delays only its own deliveries, which
/// wait in the outbox (on disk, not in memory) with exponential backoff, across restarts and crashes.
///
/// Delivery is at least once: a crash after the receiver answered and before the row was deleted sends
/// that delivery again, with the same `Idempotency-Key`.
public final class WebhookDelivery: Sendable {
    let store: ArticleStore
    let fetcher: Fetcher
    let logger: Logger
    let hooks: Mutex<[Webhook]>
    /// Held by an enqueue round and by `update`: a reload that adds a webhook cannot fall between an
    /// enqueue that saw none and its moving the cursor past the articles stored meanwhile.
    let enqueueLock = NSLock()

    /// Articles read per enqueue transaction, and deliveries loaded per round.
    static let enqueueBatch = 500
    static let deliveryBatch = 64

    public init(store: ArticleStore, webhooks: [Webhook], fetch: FetchLimits, logger: Logger) {
        self.store = store
        self.hooks = Mutex(webhooks)
        var limits = fetch
        limits.perHostGap = 0
        self.fetcher = Fetcher(limits: limits)
        self.logger = logger
    }

    /// Takes a reloaded configuration's webhooks (deliveries already owed to a removed one stay in the outbox).
    public func update(_ webhooks: [Webhook]) {
        enqueueLock.lock()
        defer { enqueueLock.unlock() }
        hooks.withLock { $0 = webhooks }
    }

    /// Runs until cancelled: enqueue what was stored, deliver what is due, sleep until the next is due
    /// (at most a second, to see new articles).
    public func run() async {
        var troubleWait = 0.0
        while !Task.isCancelled {
            do {
                try enqueueNew()
                let (sent, _) = try await deliverDue(now: Date().timeIntervalSince1970)
                troubleWait = 0
                if sent > 0 { continue }  // more may be due at once
                // New articles and receivers' backoffs (1 s at the least) are looked at every second.
                try? await Task.sleep(for: .seconds(1))
            } catch {
                // A database that cannot be written (a full disk) pauses delivery as it pauses the pipeline.
                troubleWait = min(60, max(1, troubleWait * 2))
                logger.error("webhook delivery paused on an error; retrying", metadata: [
                    "error": "\(error)", "retry_in_s": .stringConvertible(Int(troubleWait)),
                ])
                try? await Task.sleep(for: .seconds(troubleWait))
            }
        }
    }

    /// For `winnowd --once`: enqueue, then deliver until nothing is due (a failing receiver is tried
    /// once and its deliveries stay owed for the next run), for at most `timeout` seconds.
    public func drainOnce(timeout: Double = 60) async {
        let deadline = Date().timeIntervalSince1970 + timeout
        do {
            try enqueueNew()
            while Date().timeIntervalSince1970 < deadline, !Task.isCancelled {
                let (sent, failed) = try await deliverDue(now: Date().timeIntervalSince1970)
                if sent + failed == 0 { break }
            }
        } catch {
            logger.error("webhook delivery failed", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the deliveries owed for articles stored since the cursor, a batch per transaction.
    /// Returns how many were enqueued.
    @discardableResult
    public func enqueueNew() throws -> Int {
        enqueueLock.lock()
        defer { enqueueLock.unlock() }
        let hooks = self.hooks.withLock { $0 }
        var cursor = try store.outboxCursor()
        var total = 0
        if hooks.isEmpty {
            // Nothing to send; the cursor follows the store, so a webhook added later starts from then.
            let newest = try store.lastArticleID()
            if newest > cursor { try store.enqueue([], through: newest) }
            return 0
        }
        while true {
            var deliveries: [OutboxDelivery] = []
            let batch = try store.articleStatuses(after: cursor, limit: Self.enqueueBatch)
            guard let last = batch.last?.id else { return total }
            for (id, status) in batch {
                let event = Webhook.event(forStatus: status.rawValue)
                for hook in hooks where hook.events.contains(event) {
                    deliveries.append(Self.delivery(articleID: id, event: event, endpoint: hook.url))
                }
            }
            try store.enqueue(deliveries, through: last)
            total += deliveries.count
            cursor = last
        }
    }

    /// One article's delivery to one endpoint.
    static func delivery(articleID: Int64, event: String, endpoint: String) -> OutboxDelivery {
        // The key names the article, the event and the receiver: stable across retries and restarts.
        let endpointTag = SHA256.hash(Array(endpoint.utf8)).prefix(6).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return OutboxDelivery(endpoint: endpoint, event: event, articleID: articleID, idempotencyKey: "winnow-\(articleID)-\(event)-\(endpointTag)")
    }

    /// The POST body: the event, the key and the article's export line. Made when it is sent, from the
    /// stored article (which does not change but for `canonical`, when a later article takes over).
    static func body(_ delivery: OutboxDelivery, article: ExportedArticle) -> [UInt8] {
        var body = "{\"event\":"
        ArticleJSON.appendQuoted(delivery.event, to: &body)
        body += ",\"idempotency_key\":"
        ArticleJSON.appendQuoted(delivery.idempotencyKey, to: &body)
        body += ",\"schema_version\":\(ArticleJSON.schemaVersion),\"article\":"
        body += ArticleJSON.line(article)
        body += "}"
        return Array(body.utf8)
    }

    /// Tries the deliveries due at `now`: receivers in parallel, each one's deliveries in order, up to
    /// `deliveryBatch` a receiver, stopping at its first failure (the receiver then rests for its
    /// backoff, and its other deliveries with it). Receivers no longer configured are left alone.
    /// Returns how many were sent and how many failed.
    func deliverDue(now: Double) async throws -> (sent: Int, failed: Int) {
        let hooks = self.hooks.withLock { $0 }
        var due: [(Webhook, [OutboxDelivery])] = []
        for hook in hooks where try store.endpointRetryTime(hook.url) <= now {
            let owed = try store.owedDeliveries(to: hook.url, limit: Self.deliveryBatch)
            if !owed.isEmpty { due.append((hook, owed)) }
        }
        guard !due.isEmpty else { return (0, 0) }
        return try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (hook, deliveries) in due {
                group.addTask {
                    var sent = 0
                    var articles: [Int64: ExportedArticle] = [:]
                    var filter = ExportFilter()
                    filter.ids = deliveries.map(\.articleID)
                    try self.store.exportArticles(filter) { articles[$0.id] = $0 }
                    for delivery in deliveries {
                        guard let article = articles[delivery.articleID] else {
                            // Not in the store any more (a reprocess rebuilt the articles under new ids): nothing to send.
                            self.logger.warning("webhook delivery dropped: its article is gone", metadata: [
                                "webhook.url": "\(hook.url)", "article.id": .stringConvertible(delivery.articleID),
                            ])
                            try self.store.dropDelivery(delivery)
                            continue
                        }
                        if let error = await self.send(delivery, body: Self.body(delivery, article: article), to: hook) {
                            let failures = try self.store.endpointFailures(hook.url) + 1
                            let wait = Self.backoff(attempt: failures, max: hook.maxBackoff)
                            try self.store.markFailed(delivery, error: error, retryAt: Date().timeIntervalSince1970 + wait)
                            self.logger.warning("webhook delivery failed; will retry", metadata: [
                                "webhook.url": "\(hook.url)", "article.id": .stringConvertible(delivery.articleID),
                                "webhook.attempts": .stringConvertible(delivery.attempts + 1),
                                "webhook.failures_in_a_row": .stringConvertible(failures), "error": "\(error)",
                                "retry_in_s": .stringConvertible((wait * 10).rounded() / 10),
                            ])
                            return (sent, 1)
                        }
                        try self.store.markDelivered(delivery)
                        sent += 1
                    }
                    return (sent, 0)
                }
            }
            var total = (sent: 0, failed: 0)
            for try await (sent, failed) in group {
                total.sent += sent
                total.failed += failed
            }
            PipelineMetrics.items("webhook", total.sent)
            return total
        }
    }

    /// POSTs one delivery, signed; nil when the receiver took it (2xx), else why not.
    func send(_ delivery: OutboxDelivery, body: [UInt8], to hook: Webhook) async -> String? {
        let headers = [
            "Content-Type": "application/json",
            "X-Winnow-Event": delivery.event,
            "X-Winnow-Signature": "sha256=" + HMACSHA256.hex(key: Array(hook.secret.utf8), message: body),
            "Idempotency-Key": delivery.idempotencyKey,
            "X-Winnow-Delivery-Attempt": String(delivery.attempts + 1),
        ]
        do {
            let response = try await fetcher.post(url: hook.url, body: Data(body), headers: headers, timeout: hook.timeout)
            if (200..<300).contains(response.status) { return nil }
            let reply = response.bodyPrefix.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
            return "HTTP \(response.status)" + (reply.isEmpty ? "" : ": \(reply)")
        } catch {
            return "\(error)"
        }
    }

    /// 1 s, 2 s, 4 s, ... up to `max`, with a tenth of jitter so receivers coming back are not hit in step.
    static func backoff(attempt: Int, max maximum: Double) -> Double {
        let base = min(maximum, pow(2, Double(min(attempt, 30) - 1)))
        return base * Double.random(in: 0.9...1.1)
    }
}
