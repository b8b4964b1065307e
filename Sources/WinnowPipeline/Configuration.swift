import Foundation
import WinnowClean
import WinnowDedup
import WinnowFetch
import WinnowPostgres
import WinnowStore

/// The daemon's configuration, decoded from pipeline.json and validated. Relative paths are resolved
/// against the folder of the configuration file.
public struct PipelineConfiguration: Sendable {
    public struct Feed: Sendable, Equatable {
        public var name: String
        /// An http(s) URL, or an absolute file URL (resolved from a `file:` URL relative to the config file).
        public var url: String
        public var interval: Double
        public var cleaningRules: [BoilerplateRule]
        /// Fetch each new item's link and clean that page instead of the feed's text (`full_text`).
        public var fullText = false
        /// Let those links reach loopback, private and link-local addresses (`allow_private_links`).
        public var allowPrivateLinks = false
        /// Poll at the feed's observed publishing rate, within these bounds (`adaptive`); nil: every `interval`.
        public var adaptive: ClosedRange<Double>?
    }

    public var configPath: String
    /// A SQLite file's path, or a `postgresql://` URL (see `isPostgres`).
    public var databasePath: String
    /// How long a daemon holds the feeds and queued items it claims on PostgreSQL (`service.lease`):
    /// past it, another daemon takes them over, and this one's write of a fetch is refused.
    public var lease: Double = Self.defaultLease
    public static let defaultLease: Double = 300
    /// The control socket (`control.socket`; default: winnowd.sock beside the database).
    public var controlSocketPath: String
    /// The Prometheus textfile (`metrics.textfile`; default: winnow.prom beside the database; "" turns it off).
    public var metricsTextfile: String?
    /// How long SIGTERM/SIGINT may take to drain before in-flight work is cancelled (`service.shutdown_timeout`).
    public var shutdownTimeout: Double
    public var logFolder: String
    public var logLevel: String
    public var fetch: FetchLimits
    public var concurrency: Int
    /// Requests in flight to one host at most (`fetch.per_host_connections`).
    public var perHostConnections: Int
    /// Least time between the starts of two requests to one host (`fetch.per_host_gap`).
    public var perHostGap: Double
    public var feeds: [Feed]
    public var cleaningRules: [BoilerplateRule]
    /// Per-source learned boilerplate (`cleaning.learn`: `min_count`, 0 = off; `max_line_length`; `max_share`).
    public var learning: LearnedBoilerplate
    public var dedup: DedupParameters
    public var canonical: CanonicalPolicy
    public var retentionDays: Int
    /// Where each stored article is POSTed, signed (`webhooks`; see Webhook.swift).
    public var webhooks: [Webhook] = []

    /// Whether the database is PostgreSQL (shared by several daemons) rather than a SQLite file.
    public var isPostgres: Bool { PostgresURL.isPostgres(databasePath) }
}

/// A configuration the daemon refuses, naming the field by its JSON path.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { path.isEmpty ? "config: \(reason)" : "config: \(path): \(reason)" }
}

extension PipelineConfiguration {
    /// Reads and validates a pipeline.json file.
    public static func load(path: String) throws -> PipelineConfiguration {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigurationError(path: "", reason: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(data, configPath: url.standardizedFileURL.path)
    }

    /// Validates configuration JSON; `configPath` anchors relative paths.
    public static func parse(_ data: Data, configPath: String) throws -> PipelineConfiguration {
        let json: Any
        do { json = try ConfigJSON.parse(data) } catch {
            throw ConfigurationError(path: "", reason: "\(configPath) is not valid JSON: \(JSONSyntax.describe(error, in: data)); fix it there and run again")
        }
        let root = try JSONObject(json, path: "")
        try root.allowOnly(["database", "logs", "fetch", "defaults", "feeds", "cleaning", "dedup", "control", "metrics", "service", "webhooks"])
        let base = (configPath as NSString).deletingLastPathComponent

        let logs = try root.object("logs") ?? JSONObject(empty: "logs")
        try logs.allowOnly(["folder", "level"])
        let level = try logs.string("level") ?? "info"
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(level) else {
            throw ConfigurationError(path: "logs.level", reason: "\"\(level)\" is not one of \(levels.joined(separator: ", "))")
        }

        let fetch = try root.object("fetch") ?? JSONObject(empty: "fetch")
        try fetch.allowOnly(["timeout", "connect_timeout", "max_body_bytes", "max_redirects", "user_agent", "concurrency",
                            "per_host_connections", "per_host_gap", "proxy"])
        var limits = FetchLimits()
        limits.totalTimeout = try fetch.duration("timeout") ?? limits.totalTimeout
        limits.connectTimeout = try fetch.duration("connect_timeout") ?? limits.connectTimeout
        limits.maxBodyBytes = try fetch.int("max_body_bytes", in: 1024...1_000_000_000) ?? limits.maxBodyBytes
        limits.maxRedirects = try fetch.int("max_redirects", in: 0...20) ?? limits.maxRedirects
        limits.userAgent = try fetch.string("user_agent") ?? limits.userAgent
        if let proxy = try fetch.string("proxy") {
            guard let scheme = URLComponents(string: proxy)?.scheme?.lowercased(), ["http", "https", "socks4", "socks4a", "socks5", "socks5h"].contains(scheme) else {
                throw ConfigurationError(path: "fetch.proxy", reason: "\"\(proxy)\" is not a proxy URL like \"http://proxy.example:3128\" (http, https or socks5h)")
            }
            limits.proxy = proxy
        }
        let concurrency = try fetch.int("concurrency", in: 1...256) ?? 8
        let perHostConnections = try fetch.int("per_host_connections", in: 1...64) ?? 2
        let perHostGap = try fetch.duration("per_host_gap") ?? 0.25
        limits.perHostGap = perHostGap  // kept by the fetcher at send time too

        let defaults = try root.object("defaults") ?? JSONObject(empty: "defaults")
        try defaults.allowOnly(["interval", "adaptive"])
        let defaultInterval = try defaults.duration("interval") ?? 900
        let defaultAdaptive = try adaptiveBounds(defaults)

        let cleaning = try root.object("cleaning") ?? JSONObject(empty: "cleaning")
        let globalRules = try rules(cleaning, base: BoilerplateRule.defaults, allowing: ["learn"])
        let learn = try cleaning.object("learn") ?? JSONObject(empty: "cleaning.learn")
        try learn.allowOnly(["min_count", "max_line_length", "max_share"])
        let learning = LearnedBoilerplate(minCount: try learn.int("min_count", in: 0...1_000_000) ?? 5,
                                          maxLineLength: try learn.int("max_line_length", in: 1...10_000) ?? 300,
                                          maxShare: try learn.double("max_share", in: 0...1) ?? 0.3)

        guard let feedArray = try root.array("feeds") else {
            throw ConfigurationError(path: "feeds", reason: "missing: list the feeds to poll, e.g. [{\"name\": \"example\", \"url\": \"https://example.com/rss\"}]")
        }
        var feeds: [Feed] = []
        feeds.reserveCapacity(feedArray.count)
        // Names seen so far: a lookup in the list itself made loading quadratic (20,000 feeds took 18 s).
        var names: [String: Int] = [:]
        for (i, element) in feedArray.enumerated() {
            let path = "feeds[\(i)]"
            let feed = try JSONObject(element, path: path)
            try feed.allowOnly(["name", "url", "interval", "cleaning", "full_text", "allow_private_links", "adaptive"])
            guard let name = try feed.string("name"), !name.isEmpty else {
                throw ConfigurationError(path: "\(path).name", reason: "missing: every feed needs a unique name")
            }
            guard name != "local" else { throw ConfigurationError(path: "\(path).name", reason: "\"local\" is reserved for documents added with winnowctl ingest") }
            if let other = names[name] {
                throw ConfigurationError(path: "\(path).name", reason: "\"\(name)\" is also the name of feeds[\(other)]; names must be unique")
            }
            names[name] = i
            guard let rawURL = try feed.string("url") else { throw ConfigurationError(path: "\(path).url", reason: "missing") }
            let url = try feedURL(rawURL, base: base, path: "\(path).url")
            let interval = try feed.duration("interval") ?? defaultInterval
            let feedRules = try feed.object("cleaning").map { try rules($0, base: globalRules) } ?? globalRules
            feeds.append(Feed(name: name, url: url, interval: interval, cleaningRules: feedRules,
                              fullText: try feed.bool("full_text") ?? false, allowPrivateLinks: try feed.bool("allow_private_links") ?? false,
                              adaptive: feed.values["adaptive"] == nil ? defaultAdaptive : try adaptiveBounds(feed)))
        }

        let dedupObject = try root.object("dedup") ?? JSONObject(empty: "dedup")
        try dedupObject.allowOnly(["shingle_size", "shingle_bounds", "permutations", "threshold", "containment", "signature", "canonical",
                                   "preferred_feeds", "retention_days"])
        var dedup = DedupParameters()
        dedup.shingleSize = try dedupObject.int("shingle_size", in: 1...20) ?? dedup.shingleSize
        dedup.permutations = try dedupObject.int("permutations", in: 16...1024) ?? dedup.permutations
        dedup.threshold = try dedupObject.double("threshold", in: 0.3...1.0) ?? dedup.threshold
        dedup.containment = try dedupObject.double("containment", in: 0...1.0) ?? dedup.containment
        if let scheme = try dedupObject.string("signature") {
            guard let value = SignatureScheme(rawValue: scheme) else {
                throw ConfigurationError(path: "dedup.signature", reason: "\"\(scheme)\" is not one of \(SignatureScheme.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            dedup.scheme = value
        }
        var canonical = CanonicalPolicy()
        if let bounds = try dedupObject.string("shingle_bounds") {
            guard let value = ShingleBounds(rawValue: bounds) else {
                throw ConfigurationError(path: "dedup.shingle_bounds", reason: "\"\(bounds)\" is not one of \(ShingleBounds.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            dedup.bounds = value
        }
        if let rule = try dedupObject.string("canonical") {
            guard let value = CanonicalPolicy.Rule(rawValue: rule) else {
                throw ConfigurationError(path: "dedup.canonical", reason: "\"\(rule)\" is not one of \(CanonicalPolicy.Rule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            canonical.rule = value
        }
        for (i, value) in (try dedupObject.array("preferred_feeds") ?? []).enumerated() {
            guard let name = value as? String, names[name] != nil else {
                throw ConfigurationError(path: "dedup.preferred_feeds[\(i)]", reason: "\(JSONObject.describe(value)) is not the name of a configured feed")
            }
            canonical.preferredFeeds.append(name)
        }
        let retention = try dedupObject.int("retention_days", in: 1...36500) ?? 90

        let database = try root.string("database") ?? "state/winnow.sqlite"
        let isPostgres = PostgresURL.isPostgres(database)
        // On PostgreSQL the database is no file: the socket and the metrics go in state/ beside the configuration.
        let databasePath = isPostgres ? database : try filePath(resolve(database, base: base), field: "database")
        let stateFolder = isPostgres ? resolve("state", base: base) : (databasePath as NSString).deletingLastPathComponent
        let control = try root.object("control") ?? JSONObject(empty: "control")
        try control.allowOnly(["socket"])
        let socketPath = resolve(try control.string("socket")
            ?? (stateFolder as NSString).appendingPathComponent("winnowd.sock"), base: base)
        _ = try filePath(socketPath, field: "control.socket")
        guard socketPath.utf8.count < 108 else {
            throw ConfigurationError(path: "control.socket", reason: "\"\(socketPath)\" is longer than 107 bytes, the limit for a Unix socket path; choose a shorter one")
        }

        let service = try root.object("service") ?? JSONObject(empty: "service")
        try service.allowOnly(["shutdown_timeout", "lease"])
        let shutdownTimeout = try service.duration("shutdown_timeout") ?? 20
        let lease = try service.duration("lease")
        let metrics = try root.object("metrics") ?? JSONObject(empty: "metrics")
        try metrics.allowOnly(["textfile"])
        let textfile = try metrics.string("textfile")
            ?? (stateFolder as NSString).appendingPathComponent("winnow.prom")

        var configuration = PipelineConfiguration(
            configPath: configPath,
            databasePath: databasePath,
            controlSocketPath: socketPath,
            metricsTextfile: textfile.isEmpty ? nil : try filePath(resolve(textfile, base: base), field: "metrics.textfile"),
            shutdownTimeout: shutdownTimeout,
            logFolder: try folderPath(resolve(try logs.string("folder") ?? "logs", base: base), field: "logs.folder"),
            logLevel: level, fetch: limits, concurrency: concurrency,
            perHostConnections: perHostConnections, perHostGap: perHostGap, feeds: feeds,
            cleaningRules: globalRules, learning: learning, dedup: dedup, canonical: canonical, retentionDays: retention)
        configuration.webhooks = try webhooks(root)
        if let lease { configuration.lease = lease }
        try checkStore(configuration, leaseGiven: lease != nil)
        return configuration
    }

    /// What the database setting allows: a lease only means something where daemons share the store,
    /// and what winnowd cannot do on PostgreSQL yet is refused, never silently left undone.
    static func checkStore(_ configuration: PipelineConfiguration, leaseGiven: Bool) throws {
        guard configuration.isPostgres else {
            if leaseGiven {
                throw ConfigurationError(path: "service.lease", reason: "applies only with a postgresql:// database (several daemons sharing it); remove it for a SQLite file")
            }
            return
        }
        if !configuration.webhooks.isEmpty {
            throw ConfigurationError(path: "webhooks", reason: "winnowd does not deliver webhooks from a postgresql:// database yet; "
                + "remove webhooks, or use a SQLite database for this daemon (docs/scale-out.md)")
        }
        guard configuration.lease > configuration.fetch.totalTimeout else {
            throw ConfigurationError(path: "service.lease", reason: "\(configuration.lease) s must be longer than fetch.timeout (\(configuration.fetch.totalTimeout) s): "
                + "a fetch that outlasts its lease is thrown away, and the feed fetched again by another daemon")
        }    }

    /// Seconds in a duration written like "90s", "15m", "2h" or "1d"; nil when it is not one.
    public static func seconds(inDuration text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = t.last, let number = Double(t.dropLast()), number > 0, number.isFinite else { return nil }
        let seconds: Double
        switch unit {
        case "s": seconds = number
        case "m": seconds = number * 60
        case "h": seconds = number * 3600
        case "d": seconds = number * 86_400
        default: return nil
        }
        return seconds <= maxDuration ? seconds : nil  // "1e400d" is not a duration anyone means
    }

    /// The longest duration the configuration takes anywhere: ten years.
    public static let maxDuration: Double = 10 * 365 * 86_400

    /// A path the daemon writes a file at: no NUL, not an existing folder, its folder not an existing file.
    static func filePath(_ path: String, field: String) throws -> String {
        try checkCharacters(path, field: field)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw ConfigurationError(path: field, reason: "\"\(path)\" is a folder; name a file in it")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), !isFolder.boolValue {
            throw ConfigurationError(path: field, reason: "\"\(parent)\" is a file, not a folder")
        }
        return path
    }

    /// A folder the daemon writes files in: no NUL, not an existing file.
    static func folderPath(_ path: String, field: String) throws -> String {
        try checkCharacters(path, field: field)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
            throw ConfigurationError(path: field, reason: "\"\(path)\" is a file; name a folder")
        }
        return path
    }

    /// Paths are handed to the C library, which would cut one at a NUL; a path with a newline is a mistake.
    static func checkCharacters(_ path: String, field: String) throws {
        guard !path.utf8.contains(0), !path.contains("\n") else {
            throw ConfigurationError(path: field, reason: "holds a NUL or newline character; write the path plainly")
        }
    }

    static func resolve(_ path: String, base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }

    /// Feed URLs: http(s), or `file:` for feeds the configuration itself names (relative to the config file).
    static func feedURL(_ raw: String, base: String, path: String) throws -> String {
        let lower = raw.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            guard let url = URL(string: raw), url.host?.isEmpty == false else {
                throw ConfigurationError(path: path, reason: "\"\(raw)\" is not a valid http(s) URL")
            }
            return raw
        }
        if lower.hasPrefix("file:") {
            var rest = String(raw.dropFirst(5))
            if rest.hasPrefix("//") { rest = String(rest.dropFirst(2)) }
            guard !rest.isEmpty else { throw ConfigurationError(path: path, reason: "\"\(raw)\" names no file") }
            return URL(fileURLWithPath: resolve(rest, base: base)).absoluteString
        }
        throw ConfigurationError(path: path, reason: "\"\(raw)\" is not an http(s) URL or a file: URL relative to the configuration")
    }

    /// `adaptive`: false, true (5 minutes to 6 hours) or {"min": duration, "max": duration}.
    static func adaptiveBounds(_ object: JSONObject) throws -> ClosedRange<Double>? {
        guard let value = object.values["adaptive"] else { return nil }
        if let number = value as? NSNumber, JSONObject.isBoolean(number) { return number.boolValue ? 300...21_600 : nil }
        guard value is [String: Any] else {
            throw ConfigurationError(path: object.key("adaptive"), reason: "must be true, false or {\"min\": \"5m\", \"max\": \"6h\"}")
        }
        let bounds = try object.object("adaptive")!
        try bounds.allowOnly(["min", "max"])
        let low = try bounds.duration("min") ?? 300, high = try bounds.duration("max") ?? 21_600
        guard low > 0, low <= high else {
            throw ConfigurationError(path: bounds.key("min"), reason: "must be more than 0 and no more than max (\(Int(high)) s)")
        }
        return low...high
    }

    /// A rule's `keywords`: a list of non-empty strings, or absent.
    static func keywords(_ rule: JSONObject) throws -> [String]? {
        guard let list = try rule.array("keywords") else { return nil }
        return try list.enumerated().map { i, value in
            guard let word = value as? String, !word.isEmpty else {
                throw ConfigurationError(path: "\(rule.path).keywords[\(i)]", reason: "must be a non-empty string")
            }
            return word
        }
    }

    /// Applies a `cleaning` object (`disable`: rule ids, `rules`: added rules) to a base rule set.
    static func rules(_ object: JSONObject, base: [BoilerplateRule], allowing extra: [String] = []) throws -> [BoilerplateRule] {
        try object.allowOnly(Set(["disable", "rules"] + extra))
        var result = base
        if let disable = try object.array("disable") {
            for (i, value) in disable.enumerated() {
                guard let id = value as? String else {
                    throw ConfigurationError(path: "\(object.path).disable[\(i)]", reason: "must be a rule id string")
                }
                guard result.contains(where: { $0.id == id }) else {
                    throw ConfigurationError(path: "\(object.path).disable[\(i)]", reason: "\"\(id)\" is not a known rule id (see `winnowctl clean --rules`)")
                }
                result.removeAll { $0.id == id }
            }
        }
        for (i, value) in (try object.array("rules") ?? []).enumerated() {
            let rule = try JSONObject(value, path: "\(object.path).rules[\(i)]")
            try rule.allowOnly(["id", "category", "kind", "pattern", "max_length", "keywords"])
            guard let id = try rule.string("id"), !id.isEmpty else { throw ConfigurationError(path: "\(rule.path).id", reason: "missing") }
            guard let pattern = try rule.string("pattern") else { throw ConfigurationError(path: "\(rule.path).pattern", reason: "missing") }
            let kindName = try rule.string("kind") ?? "paragraph"
            guard let kind = BoilerplateRule.Kind(rawValue: kindName) else {
                throw ConfigurationError(path: "\(rule.path).kind", reason: "\"\(kindName)\" is not one of paragraph, block-start, byline, teaser-label")
            }
            guard (try? NSRegularExpression(pattern: pattern)) != nil else {
                throw ConfigurationError(path: "\(rule.path).pattern", reason: "\(pattern) is not a valid regular expression")
            }
            result.removeAll { $0.id == id }  // a rule with a shipped id replaces it
            result.append(BoilerplateRule(id: id, category: try rule.string("category") ?? "custom", kind: kind, pattern: pattern,
                                          maxLength: try rule.int("max_length", in: 1...1_000_000), keywords: try keywords(rule)))
        }
        return result
    }
}

/// A JSON object with its path, so every error names the field it is about.
struct JSONObject {
    let values: [String: Any]
    let path: String

    init(_ value: Any, path: String) throws {
        guard let values = value as? [String: Any] else {
            throw ConfigurationError(path: path, reason: "must be a JSON object")
        }
        self.values = values
        self.path = path
    }

    init(empty path: String) {
        values = [:]
        self.path = path
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func allowOnly(_ names: Set<String>) throws {
        for name in values.keys.sorted() where !names.contains(name) {
            throw ConfigurationError(path: key(name), reason: "unknown field; known fields here: \(names.sorted().joined(separator: ", "))")
        }
    }

    func object(_ name: String) throws -> JSONObject? {
        guard let value = values[name] else { return nil }
        return try JSONObject(value, path: key(name))
    }

    func array(_ name: String) throws -> [Any]? {
        guard let value = values[name] else { return nil }
        guard let array = value as? [Any] else { throw ConfigurationError(path: key(name), reason: "must be a JSON array") }
        return array
    }

    func string(_ name: String) throws -> String? {
        guard let value = values[name] else { return nil }
        guard let string = value as? String else { throw ConfigurationError(path: key(name), reason: "must be a string") }
        return string
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = values[name] else { return nil }
        guard let number = value as? NSNumber, Self.isBoolean(number) else { throw ConfigurationError(path: key(name), reason: "must be true or false") }
        return number.boolValue
    }

    func number(_ name: String) throws -> NSNumber? {
        guard let value = values[name] else { return nil }
        guard let number = value as? NSNumber, !Self.isBoolean(number) else {
            throw ConfigurationError(path: key(name), reason: "must be a number, not \(Self.describe(value))")
        }
        return number
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let number = try number(name) else { return nil }
        guard number.doubleValue == number.doubleValue.rounded(), range.contains(number.intValue) else {
            throw ConfigurationError(path: key(name), reason: "\(number) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number.intValue
    }

    func double(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let number = try number(name) else { return nil }
        guard range.contains(number.doubleValue) else {
            throw ConfigurationError(path: key(name), reason: "\(number) must be from \(range.lowerBound) to \(range.upperBound)")
        }
        return number.doubleValue
    }

    /// A duration written like "90s", "15m", "2h", "1d" (or a number of seconds).
    func duration(_ name: String) throws -> Double? {
        guard let value = values[name] else { return nil }
        if let number = value as? NSNumber, !Self.isBoolean(number), number.doubleValue > 0, number.doubleValue <= PipelineConfiguration.maxDuration {
            return number.doubleValue
        }
        guard let text = value as? String, let seconds = PipelineConfiguration.seconds(inDuration: text) else {
            throw ConfigurationError(path: key(name), reason: "\(Self.describe(value)) is not a duration like \"15m\" (units: s, m, h, d)")
        }
        return seconds
    }

    /// JSONSerialization gives true/false as NSNumber too (and `is Bool` holds for 0 and 1); its booleans
    /// are the ones with the C `char` type.
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    static func describe(_ value: Any) -> String {
        if let s = value as? String { return "\"\(s)\"" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
