import Foundation

/// The feed as feedparser would give it: `bozo`, `bozo_exception`, `encoding`, `version`, `feed`,
/// `entries` (with `*_detail`, `links`, `*_parsed`...), built from the parsed tree by the rules of
/// feedparser's element handlers. `Feed`, the pipeline's model, is read from it.
public struct FeedDocument: Sendable {
    public var bozoReason: String?
    public var encoding: String
    public var version: String
    public var feed: [String: FeedValue]
    public var entries: [[String: FeedValue]]
    public var namespaces: [String: String]
    /// Indexes of entries the document ended inside (a truncated download). feedparser keeps them, and
    /// so does `entries`; the pipeline does not store them, as their text may be cut anywhere, even in
    /// the guid: the next whole download brings them complete.
    public var cutOffEntries: Set<Int> = []

    /// The whole result as one value (what `winnowctl parse-feed --json` prints).
    public var value: FeedValue {
        var result: [String: FeedValue] = [
            "bozo": .bool(bozoReason != nil), "encoding": .string(encoding), "version": .string(version),
            "feed": .object(feed), "entries": .list(entries.map(FeedValue.object)),
            "namespaces": .object(namespaces.mapValues(FeedValue.string)),
        ]
        if let bozoReason { result["bozo_exception"] = .string(bozoReason) }
        return .object(result)
    }
}
