import Foundation

/// What a page says about its article, from JSON-LD, Open Graph and meta tags, `<time>` and `<link>`:
/// used where the feed left a field out.
public struct PageMetadata: Sendable, Codable, Equatable {
    public var title: String?
    public var author: String?
    /// As the page wrote it (ISO 8601 in nearly every page); the pipeline parses it.
    public var published: String?
    public var canonicalURL: String?
    /// The body the page declares in JSON-LD `articleBody`, when it has one.
    public var declaredBody: String?

    public init(title: String? = nil, author: String? = nil, published: String? = nil, canonicalURL: String? = nil, declaredBody: String? = nil) {
        self.title = title
        self.author = author
        self.published = published
        self.canonicalURL = canonicalURL
        self.declaredBody = declaredBody
    }

    static func read(_ tree: HTMLTree) -> PageMetadata {
        var meta: [String: String] = [:]  // first value of each meta property/name, lowercased key
        var canonical: String?
        var timeStamp: String?
        var h1: String?
        var authorLink: String?
        for i in tree.nodes.indices where !tree.nodes[i].kind.isDisjoint(with: [.keepsAttributes, .heading]) {
            let node = tree.nodes[i]
            // By the tag's number: string compares of every element's name were a part of reading the metadata.
            switch node.tagID {
            case HTMLTree.id_meta:
                guard let attributes = node.attributes, let content = attributes["content"].map(ArticleExtractor.collapseSpaces),
                      !content.isEmpty else { continue }
                // "DC.title" and "dc:title" are one key (readability reads them alike). RDFa's `property` is a
                // space-separated list ("dc:creator twitter:site_name"): each names the content.
                let properties = attributes["property"].map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init) } ?? []
                for key in (properties + [attributes["name"], attributes["itemprop"]].compactMap { $0 }).map(metaKey)
                    where meta[key] == nil {
                    meta[key] = content
                }
            case HTMLTree.id_link:
                if canonical == nil, node.attributes?["rel"]?.lowercased() == "canonical", let href = node.attributes?["href"], !href.isEmpty {
                    canonical = href
                }
            case HTMLTree.id_time:
                if timeStamp == nil, let value = node.attributes?["datetime"], !value.isEmpty { timeStamp = value }
            case HTMLTree.id_a:
                if authorLink == nil, node.attributes?["rel"]?.lowercased() == "author" {
                    let text = ArticleExtractor.plainText(tree.nodes, i)
                    if !text.isEmpty, text.count <= 80 { authorLink = text }
                }
            case HTMLTree.id_h1:
                if h1 == nil {
                    let text = ArticleExtractor.plainText(tree.nodes, i)
                    if !text.isEmpty { h1 = text }
                }
            default: break
            }
        }
        // The page's own byline element (class or id "byline", "author", "writtenby"): readability's last resort.
        var bylineElement: String?
        for i in tree.nodes.indices where !tree.nodes[i].isText && !tree.nodes[i].text.isEmpty && tree.nodes[i].tag != "a" {
            let hints = tree.nodes[i].text
            guard contains(hints, "byline") || contains(hints, "author") || contains(hints, "writtenby") else { continue }
            let text = ArticleExtractor.plainText(tree.nodes, i)
            if !text.isEmpty, text.count < 100 { bylineElement = authorPageLink(tree.nodes, in: i) ?? text; break }
        }
        // Microdata: the `itemprop="name"` inside the first `itemprop="author"` element (a Person).
        var microdataAuthor: String?
        for i in tree.nodes.indices where tree.nodes[i].flags.contains(.itempropAuthor) {
            var j = i + 1
            while j < Int(tree.nodes[i].end), microdataAuthor == nil {
                if tree.nodes[j].flags.contains(.itempropName) {
                    let text = ArticleExtractor.plainText(tree.nodes, j)
                    if !text.isEmpty, text.count <= 80 { microdataAuthor = text }
                }
                j += 1
            }
            if microdataAuthor != nil { break }
        }
        let ld = LinkedData(tree.jsonLD)
        var metadata = PageMetadata()
        // Readability's order: the page's declared metadata, then its <title> without the site's name, and
        // the <h1> only when the title is missing (an <h1> is as often the site's or a section's name).
        metadata.title = ld.headline ?? meta["dc:title"] ?? meta["dcterm:title"] ?? meta["og:title"] ?? meta["title"]
            ?? meta["twitter:title"] ?? meta["parsely-title"] ?? tree.documentTitle.map(articleTitle) ?? h1
        let metaAuthor = [meta["dc:creator"], meta["dcterm:creator"], meta["author"], meta["article:author"], meta["parsely-author"], meta["byl"]]
            .compactMap { $0 }.first { !$0.hasPrefix("http") }
        metadata.author = ld.author ?? metaAuthor.map { $0.replacingOccurrences(of: #"^(?i)by\s+"#, with: "", options: .regularExpression) }
            ?? microdataAuthor ?? (authorLink ?? bylineElement).map(bylineName)
        metadata.published = ld.datePublished ?? meta["article:published_time"] ?? meta["parsely-pub-date"] ?? meta["datepublished"] ?? meta["pubdate"]
            ?? meta["publish-date"] ?? meta["date"] ?? meta["dc.date"] ?? meta["dc.date.issued"] ?? timeStamp
        metadata.canonicalURL = canonical ?? meta["og:url"] ?? ld.url
        metadata.declaredBody = ld.articleBody
        return metadata
    }
}

extension PageMetadata {
    /// A meta tag's name or property as a key: lowercased, "." as ":" (bytes: a page has hundreds of these).
    static func metaKey(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 == 0x2E ? 0x3A : HTMLScanner.lower($0) }, as: UTF8.self)
    }

    /// The text of the first link inside element `index` to an author's page ("/author/ana-ruiz/", the
    /// WordPress form many sites share): in a byline beside a job title or a date ("Ben Silverman Games
    /// Editor", "By Joshua Sokol May 20, 2019") it is the name alone.
    static func authorPageLink(_ nodes: [HTMLTree.Node], in index: Int) -> String? {
        for j in (index + 1)..<Int(nodes[index].end) where nodes[j].tagID == HTMLTree.id_a {
            guard let href = nodes[j].attributes?["href"], contains(href, "/author/") || contains(href, "/authors/") else { continue }
            let text = ArticleExtractor.plainText(nodes, j)
            if !text.isEmpty, text.count <= 80 { return text }
        }
        return nil
    }

    /// A byline element's text without what pages set beside the name: "Ana Ruiz • 8h", "Ana Ruiz —".
    static func bylineName(_ text: String) -> String {
        var name = Substring(text)
        for separator in [" • ", " | ", " · "] {
            if let at = name.range(of: separator) { name = name[..<at.lowerBound] }
        }
        while let last = name.last, last.isWhitespace || "—–-|•·,:".contains(last) { name = name.dropLast() }
        return name.isEmpty ? text : String(name)
    }

    /// `text` contains `word`, compared as bytes (String.contains goes through Foundation, and this runs
    /// for every element of a page).
    static func contains(_ text: String, _ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard text.utf8.count >= count else { return false }
        let needle = word.utf8Start
        return text.utf8.withContiguousStorageIfAvailable { bytes in
            // memchr to each candidate first byte, not a byte-at-a-time loop: this runs for every class on a page.
            guard let base = bytes.baseAddress else { return false }
            var start = 0
            let last = bytes.count - count
            while start <= last, let hit = memchr(base + start, Int32(needle[0]), last - start + 1) {
                let i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + i, needle, count) == 0 { return true }
                start = i + 1
            }
            return false
        } ?? false
    }

    /// A document title without the site's name, readability's way: the part before the last separator
    /// (" | ", " - ", " » " and kin) when that leaves three words or more, else the part after the first;
    /// a title of four words or fewer is kept whole.
    static func articleTitle(_ title: String) -> String {
        let separators: Set<Character> = ["|", "-", "–", "—", "\\", "/", ">", "»"]
        let words = { (text: Substring) in text.split(whereSeparator: \.isWhitespace).count }
        let characters = Array(title)
        // Separators stand between spaces: " - ", not the hyphen of "e-mail".
        let at = characters.indices.filter { i in
            separators.contains(characters[i]) && i > 0 && i + 1 < characters.count && characters[i - 1] == " " && characters[i + 1] == " "
        }
        guard let last = at.last, let first = at.first else { return title }
        var candidate = String(characters[..<last]).trimmingCharacters(in: .whitespaces)
        if words(Substring(candidate)) < 3 { candidate = String(characters[(first + 1)...]).trimmingCharacters(in: .whitespaces) }
        let count = words(Substring(candidate))
        // Kept whole too when short, unless it lost just one word of a "Site » Section » Title" path.
        let hierarchical = at.contains { "\\/>»".contains(characters[$0]) }
        let bare = Substring(String(characters.filter { !separators.contains($0) }))
        if count <= 4, !hierarchical || count != words(bare) - 1 { return title }
        return candidate
    }
}

/// The article object of a page's JSON-LD (schema.org Article, NewsArticle, BlogPosting and kin).
struct LinkedData {
    var headline: String?
    var author: String?
    var datePublished: String?
    var url: String?
    var articleBody: String?

    init(_ scripts: [String]) {
        for script in scripts {
            guard let data = LinkedData.unwrapped(script).data(using: .utf8),
                  let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { continue }
            // Breadth-first through arrays and @graph, bounded so a hostile page cannot make it expensive.
            var queue: [Any] = [json]
            var visited = 0
            while !queue.isEmpty, visited < 200 {
                let value = queue.removeFirst()
                visited += 1
                if let array = value as? [Any] { queue.append(contentsOf: array.prefix(50)); continue }
                guard let object = value as? [String: Any] else { continue }
                if let graph = object["@graph"] as? [Any] { queue.append(contentsOf: graph.prefix(50)) }
                guard LinkedData.isArticle(object["@type"]) else { continue }
                // An article with no headline is named by its `name` (Wikipedia's pages).
                headline = headline ?? ((object["headline"] ?? object["name"]) as? String).flatMap(LinkedData.nonEmpty)
                author = author ?? LinkedData.name(object["author"])
                datePublished = datePublished ?? (object["datePublished"] as? String).flatMap(LinkedData.nonEmpty)
                url = url ?? (object["url"] as? String) ?? ((object["mainEntityOfPage"] as? [String: Any])?["@id"] as? String)
                articleBody = articleBody ?? (object["articleBody"] as? String).flatMap(LinkedData.nonEmpty)
            }
        }
    }

    static func isArticle(_ type: Any?) -> Bool {
        let types = (type as? [Any])?.compactMap { $0 as? String } ?? [(type as? String) ?? ""]
        return types.contains { $0.hasSuffix("Article") || $0.hasSuffix("Posting") || $0 == "Report" || $0 == "APIReference" }
    }

    /// The JSON inside a script that wraps it in CDATA for XHTML (`<![CDATA[ ... ]]>`, also commented
    /// out as `//<![CDATA[` or `/* <![CDATA[ */`): JSON parsers refuse the wrapper, and the page's date and
    /// author with it.
    static func unwrapped(_ script: String) -> String {
        // Most scripts have no wrapper: a byte scan says so (Foundation's `range(of:)` cost a third of reading JSON-LD).
        guard PageMetadata.contains(script, "<![CDATA[") else { return script }
        guard let open = script.range(of: "<![CDATA["), let close = script.range(of: "]]>", options: .backwards),
              open.upperBound <= close.lowerBound else { return script }
        var inner = script[open.upperBound..<close.lowerBound]
        // What a comment-wrapped form leaves: "*/" after the opening, "/*" or "//" before the closing.
        inner = inner.drop { $0.isWhitespace }
        if inner.hasPrefix("*/") { inner = inner.dropFirst(2) }
        while let last = inner.last, last.isWhitespace { inner = inner.dropLast() }
        if inner.hasSuffix("/*") || inner.hasSuffix("//") { inner = inner.dropLast(2) }
        return String(inner)
    }

    /// An author given as a name, a Person object, or a list of either: names joined with ", ".
    static func name(_ value: Any?) -> String? {
        if let text = value as? String { return nonEmpty(text) }
        if let object = value as? [String: Any] { return (object["name"] as? String).flatMap(nonEmpty) }
        if let list = value as? [Any] {
            let names = list.prefix(10).compactMap { name($0) }
            return names.isEmpty ? nil : names.joined(separator: ", ")
        }
        return nil
    }

    static func nonEmpty(_ text: String) -> String? {
        let trimmed = ArticleExtractor.collapseSpaces(text)
        return trimmed.isEmpty ? nil : trimmed
    }
}
