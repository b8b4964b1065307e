import Foundation

/// A page parsed and flattened in document order. Each element knows its parent and where its subtree
/// ends, so every pass over the page is a loop, never recursion: real pages are shallow, hostile ones
/// nest 100,000 deep.
///
/// The parser is our own, over UTF-8 bytes: it does what article extraction needs of HTML's tree
/// building (void elements, raw-text elements, implied end tags of p, li, dt/dd, table parts and
/// headings, end tags that close what they enclose, stray end tags ignored) and skips what it does
/// not (no DOM, only the attributes extraction reads). libxml2's HTML parser took 2 ms of a page's
/// 3 ms here; this one takes a fraction of that, in time and memory bounded by the page's size.
struct HTMLTree {
    struct Node {
        /// The lowercased element name; empty for a text node.
        var tag: String
        var parent: Int32
        /// One past the last node of this node's subtree.
        var end: Int32
        /// A text node's text; for an element, its class and id, lowercased and space-separated.
        var text: String
        var flags: Flags
        /// The attributes of the few elements whose attributes carry metadata (meta, link, time, a, script).
        var attributes: Attributes?
        /// What the tag is, looked up once: a node's tag is asked about many times.
        var kind: TagKind
        /// A text node's characters that are not white space, counted once: every pass over the page needs them.
        var visible: Int32 = 0
        /// A text node's commas (see `ArticleExtractor.measure`).
        var commas: UInt16 = 0
        /// The tag's number in `TagKind.table` (0: not a tag it knows).
        var tagID: UInt8 = 0

        var isText: Bool { tag.isEmpty }
    }

    struct TagKind: OptionSet {
        let rawValue: UInt32
        static let void = TagKind(rawValue: 1)
        static let rawText = TagKind(rawValue: 2)
        static let closesParagraph = TagKind(rawValue: 4)
        static let heading = TagKind(rawValue: 8)
        static let keepsAttributes = TagKind(rawValue: 16)
        /// Never page text: extraction does not descend.
        static let opaque = TagKind(rawValue: 32)
        /// Starts and ends a block of text.
        static let block = TagKind(rawValue: 64)
        // Where an implied end tag stops looking (HTML's scopes): an open <p> inside a table cell is
        // not closed by a <div> outside it.
        static let paragraphScope = TagKind(rawValue: 128)
        static let listScope = TagKind(rawValue: 256)
        static let definitionScope = TagKind(rawValue: 512)
        static let rowScope = TagKind(rawValue: 1024)
        static let tableScope = TagKind(rawValue: 2048)
        static let selectScope = TagKind(rawValue: 4096)
        static let cellScope = TagKind(rawValue: 8192)
        static let link = TagKind(rawValue: 16384)
        /// `head`, and `h1`: looked for by name in hot loops.
        static let head = TagKind(rawValue: 32768)
        /// Never article text by its name (nav, aside, footer, ...): `ArticleExtractor.boilerplateTags`.
        static let boilerplate = TagKind(rawValue: 1 << 16)
        /// What teaser cards are made of: `ArticleExtractor.teaserTags`.
        static let teaser = TagKind(rawValue: 1 << 17)

        static func of(_ tag: String) -> TagKind { table[tag]?.kind ?? [] }

        /// Each known tag's kind and a small number (1...) for counting open elements by tag; unknown tags have 0.
        static let table: [String: (kind: TagKind, id: UInt8)] = {
            var table: [String: TagKind] = [:]
            for (set, kind) in [(HTMLTree.void, TagKind.void), (HTMLTree.rawText, .rawText), (HTMLTree.closesParagraph, .closesParagraph),
                                (HTMLTree.headings, .heading), (HTMLTree.attributeTags, .keepsAttributes), (HTMLTree.opaque, .opaque),
                                (ArticleExtractor.blockTags, .block), (HTMLTree.paragraphScope, .paragraphScope),
                                (HTMLTree.listScope, .listScope), (HTMLTree.definitionScope, .definitionScope),
                                (HTMLTree.rowScope, .rowScope), (HTMLTree.tableScope, .tableScope),
                                (HTMLTree.selectScope, .selectScope), (HTMLTree.cellScope, .cellScope)] {
                for tag in set { table[tag, default: []].insert(kind) }
            }
            for tag in ArticleExtractor.boilerplateTags.keys { table[tag, default: []].insert(.boilerplate) }
            for tag in ArticleExtractor.teaserTags { table[tag, default: []].insert(.teaser) }
            table["a", default: []].insert(.link)
            table["head", default: []].insert(.head)
            var numbered: [String: (kind: TagKind, id: UInt8)] = [:]
            for (index, tag) in table.keys.sorted().enumerated() { numbered[tag] = (table[tag]!, UInt8(index + 1)) }
            return numbered
        }()

        static func id(_ tag: String) -> UInt8 { table[tag]?.id ?? 0 }
    }

    /// An element's attributes (names lowercased) in page order, as the scanner read them; a repeated name
    /// counts by its first value, as in browsers. A list, not a dictionary: an element has a handful, and
    /// hashing them into a dictionary was a tenth of parsing a page full of links.
    struct Attributes {
        var pairs: [(String, String)]

        subscript(name: String) -> String? {
            for (key, value) in pairs where key == name { return value }
            return nil
        }
    }

    struct Flags: OptionSet {
        let rawValue: UInt8
        /// `hidden` or an inline `display:none`. (`aria-hidden` is not: it hides from screen readers what
        /// is on screen, pull quotes among it.)
        static let hidden = Flags(rawValue: 1)
        /// `itemprop="articleBody"` or a main/article role: the page says this is (or holds) the article.
        static let declaredArticle = Flags(rawValue: 2)
        /// role="navigation", "banner", "contentinfo", "complementary", "dialog", "alert" and the like.
        static let boilerplateRole = Flags(rawValue: 4)
        /// `itemprop="articleBody"`: the schema.org article body itself, the most specific declaration.
        static let articleBody = Flags(rawValue: 8)
        /// A text node holding sentence punctuation.
        static let punctuated = Flags(rawValue: 16)
        /// `itemprop="author"` (schema.org microdata): the element names the article's author.
        static let itempropAuthor = Flags(rawValue: 32)
        /// `itemprop="name"`: inside an author element, the name itself.
        static let itempropName = Flags(rawValue: 64)
    }

    /// Why a page could not be parsed at all.
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Index 0 is a synthetic root holding the whole document, so fragments and pages with text outside
    /// `<html>` have one root too.
    private(set) var nodes: [Node] = []
    /// The `<title>` text.
    private(set) var documentTitle: String?
    /// The texts of `<script type="application/ld+json">` elements.
    private(set) var jsonLD: [String] = []

    /// Elements whose content is never page text; extraction does not descend into them.
    static let opaque: Set<String> = [
        "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
        "video", "audio", "picture", "select", "textarea", "map",
    ]
    /// Elements whose content is raw text up to their end tag: markup inside them is not markup.
    static let rawText: Set<String> = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"]
    static let void: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
        "basefont", "bgsound", "frame", "keygen", "image",
    ]
    /// Start tags that close an open `<p>` (HTML's "close a p element" rule).
    static let closesParagraph: Set<String> = [
        "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div", "dl", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "ul", "li", "dd", "dt",
    ]
    static let headings: Set<String> = ["h1", "h2", "h3", "h4", "h5", "h6"]
    static let attributeTags: Set<String> = ["meta", "link", "time", "a", "script", "html", "abbr"]
    static let boilerplateRoles: Set<String> = [
        "navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "alert", "menu",
        "menubar", "search", "toolbar", "tablist", "status",
    ]

    /// Parses a page given as bytes. `encoding` names their encoding when known (a String's UTF-8);
    /// otherwise valid UTF-8 is taken as such and anything else is decoded by the page's `<meta charset>`,
    /// else as Windows-1252 (what browsers assume).
    init(bytes: UnsafeRawBufferPointer, encoding: String.Encoding?) throws {
        guard bytes.count > 0 else { throw ParseError(description: "the page is empty") }
        let utf8 = bytes.bindMemory(to: UInt8.self)
        if let text = try Self.transcoded(bytes, encoding: encoding) {
            var copy = text
            copy.withUTF8 { parse($0) }
        } else {
            parse(utf8)
        }
    }

    /// The page as text when its bytes are not to be read as UTF-8, nil when they are. A page that says
    /// UTF-8 is read as UTF-8 (a stray invalid byte becomes U+FFFD); one that says nothing, or another
    /// encoding, is UTF-8 only if it is valid UTF-8 throughout (pages mislabel); else its `<meta
    /// charset>`, else Windows-1252 (what browsers assume).
    static func transcoded(_ bytes: UnsafeRawBufferPointer, encoding: String.Encoding?) throws -> String? {
        let utf8 = bytes.bindMemory(to: UInt8.self)
        let declared = encoding ?? HTMLTree.declaredEncoding(utf8)
        if declared == .utf8 || UTF8Validation.isValid(utf8) { return nil }
        let decoding = declared ?? .windowsCP1252
        guard let text = String(data: Data(bytes), encoding: decoding) ?? String(data: Data(bytes), encoding: .isoLatin1) else {
            throw ParseError(description: "the page is not text in its declared encoding")
        }
        return text
    }

    init(html: String) throws {
        var html = html
        self = try html.withUTF8 { try HTMLTree(bytes: UnsafeRawBufferPointer($0), encoding: .utf8) }
    }

    /// The encoding a page declares in its first 4 kB (`<meta charset=...>` or `content="...; charset=..."`).
    static func declaredEncoding(_ bytes: UnsafeBufferPointer<UInt8>) -> String.Encoding? {
        let head = Array(bytes.prefix(4096).map(HTMLScanner.lower))
        let key = Array("charset=".utf8)
        guard head.count > key.count, let at = (0...(head.count - key.count)).first(where: { head[$0..<($0 + key.count)].elementsEqual(key) }) else {
            return nil
        }
        let name = head[(at + key.count)...].drop(while: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") })
            .prefix(while: { HTMLScanner.isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        return HTMLTree.encodings[String(decoding: name, as: UTF8.self)]
    }

    static let encodings: [String: String.Encoding] = [
        "utf-8": .utf8, "utf8": .utf8, "iso-8859-1": .windowsCP1252, "latin1": .windowsCP1252, "us-ascii": .windowsCP1252,
        "windows-1252": .windowsCP1252, "cp1252": .windowsCP1252, "iso-8859-2": .isoLatin2, "windows-1250": .windowsCP1250,
        "windows-1251": .windowsCP1251, "windows-1253": .windowsCP1253, "windows-1254": .windowsCP1254,
        "shift_jis": .shiftJIS, "shift-jis": .shiftJIS, "sjis": .shiftJIS, "euc-jp": .japaneseEUC, "iso-2022-jp": .iso2022JP,
        "utf-16": .utf16, "utf-16le": .utf16LittleEndian, "utf-16be": .utf16BigEndian,
    ]

    // MARK: Tree building

    private var open: [Int32] = []  // indices of the open elements, innermost last
    /// Nested `<form>` start tags skipped, whose end tags are skipped too.
    private var ignoredForms = 0
    /// How many elements of each known tag are open: an end tag (or an implied one, which every `<div>`
    /// tries for `<p>`) whose element is not open costs nothing, however deep the page.
    private var openByTag = [Int32](repeating: 0, count: 256)
    /// How far down the open elements an end tag of an unknown element looks for its start tag. Real pages
    /// close what they opened a few levels up; the bound keeps stray end tags over deep nesting linear.
    static let endTagReach = 256

    private mutating func push(_ tag: String, kind: TagKind, id: UInt8, flags: Flags, hints: String, attributes: Attributes?) {
        let index = Int32(nodes.count)
        nodes.append(Node(tag: tag, parent: open.last ?? -1, end: index + 1, text: hints, flags: flags, attributes: attributes, kind: kind, tagID: id))
        if !kind.contains(.void) {
            open.append(index)
            openByTag[Int(id)] += 1
        }
    }

    private mutating func popOne() {
        let index = Int(open.removeLast())
        nodes[index].end = Int32(nodes.count)
        openByTag[Int(nodes[index].tagID)] -= 1
    }

    /// Closes the innermost open `tag` and everything inside it, unless a `boundary` element is met first.
    private mutating func close(_ tag: String, id: UInt8? = nil, within boundary: TagKind = []) {
        let id = id ?? TagKind.id(tag)
        if id != 0 && openByTag[Int(id)] == 0 { return }
        var depth = open.count - 1
        while depth > 0, open.count - depth <= HTMLTree.endTagReach {
            let name = nodes[Int(open[depth])].tag
            if name == tag {
                while open.count > depth { popOne() }
                return
            }
            if !boundary.isEmpty, nodes[Int(open[depth])].kind.contains(boundary) { return }
            depth -= 1
        }
    }

    private mutating func text(_ value: String) {
        let index = Int32(nodes.count)
        let (visible, punctuated, commas) = ArticleExtractor.measure(value)
        nodes.append(Node(tag: "", parent: open.last ?? -1, end: index + 1, text: value, flags: punctuated ? .punctuated : [],
                          attributes: nil, kind: [], visible: Int32(visible), commas: UInt16(min(commas, Int(UInt16.max)))))
    }

    static let id_p = TagKind.id("p"), id_li = TagKind.id("li"), id_dt = TagKind.id("dt"), id_dd = TagKind.id("dd"),
               id_td = TagKind.id("td"), id_th = TagKind.id("th"), id_tr = TagKind.id("tr"), id_option = TagKind.id("option"),
               id_a = TagKind.id("a"), id_form = TagKind.id("form"), id_meta = TagKind.id("meta"), id_link = TagKind.id("link"),
               id_time = TagKind.id("time"), id_h1 = TagKind.id("h1")
    static let paragraphScope: Set<String> = ["table", "td", "th", "caption", "button", "template", "object"]
    static let listScope: Set<String> = ["ul", "ol", "table", "td", "th"]
    static let definitionScope: Set<String> = ["dl", "table"]
    static let rowScope: Set<String> = ["tr", "table"]
    static let tableScope: Set<String> = ["table"]
    static let selectScope: Set<String> = ["select"]
    static let cellScope: Set<String> = ["td", "th", "table"]

    private mutating func startTag(_ tag: String, _ kind: TagKind, _ id: UInt8, _ attributes: [(String, String)]) {
        if kind.contains(.closesParagraph) { close("p", id: HTMLTree.id_p, within: TagKind.paragraphScope) }
        // By the tag's number, not its name: this runs for every start tag of a page.
        switch id {
        case 0: if tag == "option" { close("option", id: 0, within: TagKind.selectScope) }
        case HTMLTree.id_li: close("li", id: id, within: TagKind.listScope)
        case HTMLTree.id_dt, HTMLTree.id_dd: close("dt", id: HTMLTree.id_dt, within: TagKind.definitionScope); close("dd", id: HTMLTree.id_dd, within: TagKind.definitionScope)
        case HTMLTree.id_td, HTMLTree.id_th: close("td", id: HTMLTree.id_td, within: TagKind.rowScope); close("th", id: HTMLTree.id_th, within: TagKind.rowScope)
        case HTMLTree.id_tr: close("tr", id: id, within: TagKind.tableScope)
        case HTMLTree.id_a: close("a", id: id, within: TagKind.cellScope)
        default:
            if kind.contains(.heading), let top = open.last, nodes[Int(top)].kind.contains(.heading) { popOne() }
        }
        var flags: Flags = []
        var hints = ""
        for (name, value) in attributes {
            switch name {
            case "class", "id":
                // An id made of a heading's words names that text, not a part of the page ("sharing-with-a-single-developer").
                if name == "id" && HTMLTree.isSlug(value) { break }
                if !value.isEmpty { hints += hints.isEmpty ? HTMLTree.hintWords(value) : " " + HTMLTree.hintWords(value) }
            case "hidden": flags.insert(.hidden)
            case "style":
                if HTMLTree.styleHides(value) { flags.insert(.hidden) }
            case "itemprop":
                let properties = HTMLScanner.asciiLowercased(value)
                if properties == "articlebody" { flags.formUnion([.declaredArticle, .articleBody]) }
                // A space-separated list of property names.
                for property in properties.split(separator: " ") {
                    if property == "author" { flags.insert(.itempropAuthor) } else if property == "name" { flags.insert(.itempropName) }
                }
            case "role":
                let role = HTMLScanner.asciiLowercased(value)
                if role == "main" || role == "article" { flags.insert(.declaredArticle) }
                if HTMLTree.boilerplateRoles.contains(role) { flags.insert(.boilerplateRole) }
            default: break
            }
        }
        push(tag, kind: kind, id: id, flags: flags, hints: hints, attributes: kind.contains(.keepsAttributes) ? Attributes(pairs: attributes) : nil)
    }

    // MARK: Tokenizing

    private mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) {
        nodes.reserveCapacity(bytes.count / 40)
        push("#document", kind: [], id: 0, flags: [], hints: "", attributes: nil)
        var scanner = HTMLScanner(bytes: bytes)
        while let token = scanner.next() {
            switch token {
            case .text(let value):
                text(value)
            case .startTag(let tag, let kind, let id, let attributes, let selfClosing):
                if kind.contains(.rawText) && !selfClosing {
                    let content = scanner.rawText(until: tag)
                    startTag(tag, kind, id, attributes)
                    switch tag {
                    case "title":
                        if documentTitle == nil {
                            let title = ArticleExtractor.collapseSpaces(scanner.decodedString(content))
                            if !title.isEmpty { documentTitle = title }
                        }
                    case "script":
                        if attributes.contains(where: { $0.0 == "type" && PageMetadata.contains(HTMLScanner.asciiLowercased($0.1), "ld+json") }) {
                            jsonLD.append(scanner.string(content))
                        }
                    case "textarea", "xmp":
                        text(scanner.decodedString(content))
                    default: break
                    }
                    close(tag)
                } else if id == HTMLTree.id_form && openByTag[Int(id)] > 0 {
                    // A form inside a form is ignored, as browsers do, and so is its end tag: otherwise
                    // that `</form>` would end the outer form and the page's layout with it.
                    ignoredForms += 1
                } else {
                    startTag(tag, kind, id, attributes)
                    if selfClosing, open.count > 1, nodes[Int(open.last!)].tag == tag, HTMLTree.selfClosingHonoured.contains(tag) { popOne() }
                }
            case .endTag(let tag):
                if tag == "br" { startTag("br", TagKind.of("br"), TagKind.id("br"), []) }  // </br> is a line break in every browser
                else if tag == "form" && ignoredForms > 0 { ignoredForms -= 1 }
                // A stray `</body>` or `</html>` before the article (pages glued from templates) ends nothing:
                // browsers keep what follows in the body, and so does the tree.
                else if tag != "#document" && tag != "body" && tag != "html" { close(tag) }
            }
        }
        while !open.isEmpty { popOne() }
    }

    /// Foreign elements where `<x/>` really is empty (in HTML elements the slash means nothing).
    static let selfClosingHonoured: Set<String> = ["svg", "math", "path", "use", "circle", "rect", "g", "line", "polygon", "polyline", "ellipse"]

    /// An inline style that hides the element (`display:none`, `visibility:hidden`, in any case and spacing).
    static func styleHides(_ style: String) -> Bool {
        var squeezed: [UInt8] = []
        squeezed.reserveCapacity(style.utf8.count)
        for byte in style.utf8 where byte != 0x20 { squeezed.append(HTMLScanner.lower(byte)) }
        return squeezed.withUnsafeBufferPointer { bytes in
            hiddenDisplay.withUnsafeBufferPointer { ArticleExtractor.contains(bytes, $0) }
                || hiddenVisibility.withUnsafeBufferPointer { ArticleExtractor.contains(bytes, $0) }
        }
    }

    static let hiddenDisplay = Array("display:none".utf8), hiddenVisibility = Array("visibility:hidden".utf8)

    /// An id of four or more lowercase words joined by hyphens: a heading's slug.
    static func isSlug(_ value: String) -> Bool {
        var words = 1
        var letters = 0
        for byte in value.utf8 {
            if byte == UInt8(ascii: "-") {
                if letters == 0 { return false }
                words += 1
                letters = 0
            } else if (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) {
                letters += 1
            } else {
                return false
            }
        }
        return words >= 4 && letters > 0
    }

    /// A class or id lowercased, camel case split into words: "rightRail" gives "right-rail", so its "rail"
    /// is seen as a word.
    static func hintWords(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 4)
        var previousLower = false
        for byte in value.utf8 {
            let upper = byte >= 0x41 && byte <= 0x5A
            if upper && previousLower { out.append(UInt8(ascii: "-")) }
            out.append(upper ? byte | 0x20 : byte)
            previousLower = byte >= 0x61 && byte <= 0x7A
        }
        return String(decoding: out, as: UTF8.self)
    }
}
