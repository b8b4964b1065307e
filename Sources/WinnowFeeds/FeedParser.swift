import Foundation

/// Reads RSS 2.0 and Atom 1.0 documents into `Feed`. The format is detected from the root element,
/// never from the URL or Content-Type.
public enum FeedParser {
    static let atomNS = "http://www.w3.org/2005/Atom"
    static let contentNS = "http://purl.org/rss/1.0/modules/content/"
    static let dcNS = "http://purl.org/dc/elements/1.1/"

    /// The result of a parse: the feed, and a reason when the document was broken and only partly read
    /// (feedparser's "bozo").
    public struct Result: Sendable {
        public var feed: Feed
        public var bozoReason: String?
    }

    public static func parse(_ data: Data) throws -> Result {
        let (root, bozo) = try XMLTreeBuilder.parse(data)
        switch root.name {
        case "rss":
            return Result(feed: rss(root), bozoReason: bozo)
        case "feed":
            return Result(feed: atom(root), bozoReason: bozo)
        default:
            throw FeedError.unknownFormat(root: root.name)
        }
    }

    // MARK: RSS 2.0

    static func rss(_ root: XMLElement) -> Feed {
        let channel = root.child("channel") ?? root
        var feed = Feed(format: .rss20)
        feed.title = channel.value("title")
        feed.link = channel.all("link").first { $0.namespace.isEmpty }?.trimmedText
        feed.description = channel.value("description")
        feed.language = channel.value("language")
        feed.updated = (channel.value("lastbuilddate") ?? channel.value("pubdate")).flatMap(FeedDate.parse)
        feed.ttlMinutes = channel.value("ttl").flatMap { Int($0) }
        feed.items = channel.all("item").map(rssItem)
        return feed
    }

    static func rssItem(_ item: XMLElement) -> FeedItem {
        let link = item.all("link").first { $0.namespace.isEmpty }?.trimmedText
        let title = item.value("title")
        let summary = item.value("description")
        let content = item.value("encoded", namespace: contentNS)
        let dateText = item.value("pubdate") ?? item.value("date", namespace: dcNS)
        let author = item.value("creator", namespace: dcNS) ?? item.value("author")
        let guid = item.value("guid") ?? fallbackID(link: link, title: title, text: content ?? summary)
        return FeedItem(guid: guid, link: link, title: title, author: author,
                        published: dateText.flatMap(FeedDate.parse), publishedRaw: dateText,
                        summary: summary, content: content)
    }

    // MARK: Atom 1.0

    static func atom(_ root: XMLElement) -> Feed {
        var feed = Feed(format: .atom10)
        feed.title = root.value("title")
        feed.link = alternateLink(root)
        feed.description = root.value("subtitle")
        feed.language = root.attributes["xml:lang"] ?? root.attributes["lang"]
        feed.updated = root.value("updated").flatMap(FeedDate.parse)
        feed.items = root.all("entry").map(atomEntry)
        return feed
    }

    static func atomEntry(_ entry: XMLElement) -> FeedItem {
        let link = alternateLink(entry)
        let title = entry.value("title")
        let summary = entry.value("summary")
        let content = entry.value("content")
        let dateText = entry.value("published") ?? entry.value("updated")
        let author = entry.child("author")?.value("name")
        let guid = entry.value("id") ?? fallbackID(link: link, title: title, text: content ?? summary)
        return FeedItem(guid: guid, link: link, title: title, author: author,
                        published: dateText.flatMap(FeedDate.parse), publishedRaw: dateText,
                        summary: summary, content: content)
    }

    /// The `alternate` link (or the link without rel), preferred over other relations.
    static func alternateLink(_ element: XMLElement) -> String? {
        let links = element.all("link")
        let alternate = links.first { ($0.attributes["rel"] ?? "alternate") == "alternate" } ?? links.first
        return alternate?.attributes["href"]?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A stable id for entries without one: the link, or a hash of title and text, so that a re-poll
    /// of the same entry maps to the same row.
    static func fallbackID(link: String?, title: String?, text: String?) -> String {
        if let link, !link.isEmpty { return link }
        return "winnow:fnv1a64:" + String(fnv1a64((title ?? "") + "\u{1F}" + (text ?? "")), radix: 16)
    }

    static func fnv1a64(_ string: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in string.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
