import Foundation

/// One webhook receiver (`webhooks[i]` in pipeline.json): each stored article whose event it asks for
/// is POSTed to `url` as JSON, signed with `secret`, from the durable outbox (WebhookDelivery.swift).
public struct Webhook: Sendable, Equatable {
    /// The events there are: a new story, and an article found to duplicate one already stored.
    public static let allEvents = ["article.new", "article.duplicate"]

    public var url: String
    public var secret: String
    public var events: Set<String>
    /// How long one POST may take (`timeout`, default 10 s).
    public var timeout: Double
    /// The longest wait between two tries while the receiver fails (`max_backoff`, default 10 minutes).
    public var maxBackoff: Double

    public init(url: String, secret: String, events: Set<String> = Set(Webhook.allEvents), timeout: Double = 10, maxBackoff: Double = 600) {
        self.url = url
        self.secret = secret
        self.events = events
        self.timeout = timeout
        self.maxBackoff = maxBackoff
    }

    /// The event an article with this dedup status raises.
    public static func event(forStatus status: String) -> String {
        status == "new" ? "article.new" : "article.duplicate"
    }
}

extension PipelineConfiguration {
    /// `webhooks`: a list of {"url", "secret", "events", "timeout", "max_backoff"}.
    static func webhooks(_ root: JSONObject) throws -> [Webhook] {
        var hooks: [Webhook] = []
        for (i, value) in (try root.array("webhooks") ?? []).enumerated() {
            let hook = try JSONObject(value, path: "webhooks[\(i)]")
            try hook.allowOnly(["url", "secret", "events", "timeout", "max_backoff"])
            guard let url = try hook.string("url") else {
                throw ConfigurationError(path: hook.key("url"), reason: "missing: the receiver's http(s) URL")
            }
            let lower = url.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), URL(string: url)?.host?.isEmpty == false else {
                throw ConfigurationError(path: hook.key("url"), reason: "\"\(url)\" is not an http(s) URL")
            }
            guard hooks.allSatisfy({ $0.url != url }) else {
                throw ConfigurationError(path: hook.key("url"), reason: "\"\(url)\" is configured twice; each receiver once")
            }
            guard let secret = try hook.string("secret"), secret.utf8.count >= 16 else {
                throw ConfigurationError(path: hook.key("secret"), reason: "missing or shorter than 16 bytes: the receiver checks the X-Winnow-Signature HMAC with it; use a long random string (openssl rand -hex 32)")
            }
            var events = Set(Webhook.allEvents)
            if let list = try hook.array("events") {
                events = []
                for (j, event) in list.enumerated() {
                    guard let name = event as? String, Webhook.allEvents.contains(name) else {
                        throw ConfigurationError(path: "\(hook.key("events"))[\(j)]", reason: "\(JSONObject.describe(event)) is not one of \(Webhook.allEvents.joined(separator: ", "))")
                    }
                    events.insert(name)
                }
                guard !events.isEmpty else { throw ConfigurationError(path: hook.key("events"), reason: "is empty: name at least one of \(Webhook.allEvents.joined(separator: ", ")), or remove the webhook") }
            }
            hooks.append(Webhook(url: url, secret: secret, events: events, timeout: try hook.duration("timeout") ?? 10,
                                 maxBackoff: try hook.duration("max_backoff") ?? 600))
        }
        return hooks
    }
}
