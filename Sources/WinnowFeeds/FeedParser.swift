import Foundation

/// Reads feeds: RSS 0.90 to 2.0, RSS 1.0 (RDF), Atom 0.3 and 1.0, JSON Feed 1.0 and 1.1. The format is
/// detected from the content, never from the URL or Content-Type. The result follows Python
/// feedparser's (`FeedDocument`), and the pipeline's `Feed` is read from it.
public enum FeedParser {
    /// The result of a parse: the feed, and a reason when the document was broken and only partly read
    /// (feedparser's "bozo").
    public struct Result: Sendable {
        public var feed: Feed
        public var bozoReason: String?
        public var document: FeedDocument
    }

    /// Parses a document. `contentType` (HTTP Content-Type) takes part in choosing the encoding;
    /// `url` (the document's URL), or `contentLocation` (HTTP Content-Location, resolved against it)
    /// when there is one, is the base for relative links.
    public static func parse(_ data: Data, contentType: String? = nil, url: String? = nil, contentLocation: String? = nil,
                             language: String? = nil) throws -> Result {
        // Stage 1 keeps the HTML as received: it is sanitized where it leaves Winnow.
        let document = try self.document(data, contentType: contentType, url: url, contentLocation: contentLocation, language: language,
                                         sanitize: false)
        return Result(feed: feed(from: document), bozoReason: document.bozoReason, document: document)
    }

    /// The feedparser-shaped document. Throws only when nothing feed-like can be read at all. HTML in
    /// titles, summaries and content is sanitized as feedparser sanitizes it unless `sanitize` is false.
    public static func document(_ data: Data, contentType: String? = nil, url: String? = nil, contentLocation: String? = nil,
                                language: String? = nil, sanitize: Bool = true) throws -> FeedDocument {
        let base = contentLocation.map { URLResolver.resolve($0, against: url ?? "") } ?? url
        let decoded = FeedEncoding.decode(data, contentType: contentType)
        let first = decoded.bytes.first { !(0x20 == $0 || 0x09 == $0 || 0x0A == $0 || 0x0D == $0) }
        if first == UInt8(ascii: "{") {
            var document = try JSONFeed.document(decoded.bytes)
            document.encoding = decoded.encoding
            return document
        }
        let (root, problem) = XMLTreeParser.parse(decoded.bytes, utf8Document: decoded.encoding == "utf-8")
        guard let root else { throw FeedError.notXML(reason: problem ?? "empty document") }
        return try FeedDocumentBuilder.build(root: root, encoding: decoded.encoding, problem: decoded.problem ?? problem,
                                             baseURL: base ?? "", language: language, netscape: root.name == "rss" && doctypeIsNetscape(decoded.bytes),
                                             sanitize: sanitize)
    }

    /// RSS 0.91 comes in Netscape's flavour (with its DTD) and UserLand's.
    static func doctypeIsNetscape(_ bytes: [UInt8]) -> Bool {
        // In the first kilobyte; compared where a `!` follows a `<` (memchr finds the few `!`), not at
        // every `<` of the channel's first tags.
        bytes.prefix(1024).withUnsafeBufferPointer { p in
            var k = 1
            while let bang = ASCIIScan.index(of: UInt8(ascii: "!"), in: p, from: k) {
                if p[bang - 1] == UInt8(ascii: "<"), ASCIIScan.hasPrefix(p, at: bang - 1, "<!doctype rss public \"-//netscape") { return true }
                k = bang + 1
            }
            return false
        }
    }

    /// The pipeline's model, read from the document.
    public static func feed(from document: FeedDocument) -> Feed {
        let f = document.feed
        var feed = Feed(format: FeedFormat(rawValue: document.version) ?? .rss)
        feed.title = f["title"]?.string.flatMap(nonEmpty)
        feed.link = f["link"]?.string.flatMap(nonEmpty)
        feed.description = f["subtitle"]?.string.flatMap(nonEmpty)
        feed.language = f["language"]?.string.flatMap(nonEmpty)
        feed.updated = (f["updated_parsed"]?.date ?? f["published_parsed"]?.date)
        feed.ttlMinutes = f["ttl"]?.string.flatMap { Int($0) }
        feed.skipHours = Set((f["skiphours"]?.list ?? []).compactMap { $0.string.flatMap { Int($0) } }.filter { (0...23).contains($0) })
        let days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
        feed.skipDays = Set((f["skipdays"]?.list ?? []).compactMap { $0.string.flatMap { days.firstIndex(of: $0.lowercased()) } })
        feed.items = document.entries.indices.filter { !document.cutOffEntries.contains($0) }.map { item(document.entries[$0]) }
        return feed
    }

    static func item(_ e: [String: FeedValue]) -> FeedItem {
        let link = e["link"]?.string.flatMap(nonEmpty)
        let title = e["title"]?.string.flatMap(nonEmpty)
        // The document copies content into a missing summary, as feedparser does; the item keeps
        // only a summary the feed gave (one with its detail), so stored rows and their hashes stay
        // as they were.
        let summary = e["summary_detail"] == nil ? nil : e["summary"]?.string.flatMap(nonEmpty)
        let content = e["content"]?.list?.lazy.compactMap { $0.object?["value"]?.string }.first.flatMap(nonEmpty)
        // The date already read into the *_parsed tuple of the field the text comes from.
        let dateField = e["published"] != nil ? "published" : e["updated"] != nil ? "updated" : e["created"] != nil ? "created" : nil
        let dateText = dateField.flatMap { e[$0]?.string }.flatMap(nonEmpty)
        let author = (e["author_detail"]?.object?["name"] ?? e["author"])?.string.flatMap(nonEmpty)
        let guid = e["id"]?.string.flatMap(nonEmpty) ?? fallbackID(link: link, title: title, text: content ?? summary)
        var item = FeedItem(guid: guid, link: link, title: title, author: author,
                            published: dateField.flatMap { e[$0 + "_parsed"]?.date }, publishedRaw: dateText,
                            summary: summary, content: content)
        readMedia(e, into: &item)
        return item
    }

    static func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }

    /// A stable id for entries without one: the link, or a hash of title and text, so that a re-poll
    /// of the same entry maps to the same row.
    static func fallbackID(link: String?, title: String?, text: String?) -> String {
        if let link, !link.isEmpty { return link }
        // FNV-1a of title, U+001F, text: the same as hashing the joined string, without joining it.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        fnv1a64(title ?? "", into: &hash)
        fnv1a64("\u{1F}", into: &hash)
        fnv1a64(text ?? "", into: &hash)
        return "winnow:fnv1a64:" + String(hash, radix: 16)
    }

    static func fnv1a64(_ string: String, into hash: inout UInt64) {
        var string = string
        string.withUTF8 { bytes in
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
    }
}
