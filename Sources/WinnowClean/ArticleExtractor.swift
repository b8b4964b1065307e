import Foundation

/// The article found in an HTML page: its paragraphs in order, the page's metadata, and every block of
/// text left out with the reason.
public struct ExtractedPage: Sendable {
    public var paragraphs: [String]
    public var metadata: PageMetadata
    public var dropped: [Removal]
}

/// Finds the article in a page.
///
/// The page is cut into blocks of text (a paragraph, a heading, a list item, a cell). A block is article-like
/// when it is long or sentence-like and few of its characters are link text; it is boilerplate when mostly
/// links or short. The article is the element whose subtree holds the most article-like text net of
/// boilerplate: the page's body holds it all but also the menus and footer; a paragraph holds too little.
/// Elements that are never article (navigation, asides, footers, forms, figure captions, and elements whose
/// class or id says share, related, comments, newsletter, ad and the like) are cut out first, unless
/// they hold most of the page's text, which means the page misnamed its article.
enum ArticleExtractor {
    struct Block {
        var owner: Int32
        var text: String
        var chars: Int
        var linkChars: Int
        /// Holds sentence punctuation (counted as the text is read, so it is known also without the text).
        var punctuated = false
        /// Commas (ASCII and CJK), a sign of sentences that readability's score counts.
        var commas = 0

        var linkDensity: Double { chars == 0 ? 0 : Double(linkChars) / Double(chars) }
        /// Reads like article text: long, or a sentence, and not mostly links.
        var isArticleLike: Bool {
            guard linkDensity < 0.34 else { return false }
            if chars >= 120 { return true }
            return chars >= 40 && punctuated
        }
    }

    /// Why an element's text is left out: the rule id its removal is recorded under, and the category.
    struct Cut {
        var ruleID: String
        var category: String
    }

    static let blockTags: Set<String> = [
        "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
        "h6", "blockquote", "pre", "table", "tr", "td", "th", "tbody", "thead", "tfoot", "br", "hr", "header",
        "footer", "nav", "aside", "figure", "figcaption", "form", "fieldset", "address", "center", "details",
        "summary", "body", "html", "caption", "legend", "menu", "dialog", "hgroup",
    ]
    /// Elements that hold no article text; each maps to the category its removal is recorded under.
    static let boilerplateTags: [String: String] = [
        "nav": "navigation", "aside": "aside", "footer": "footer", "header": "header", "figcaption": "caption",
        "figure": "caption", "form": "prompt", "button": "prompt", "label": "prompt", "dialog": "prompt",
        "menu": "navigation", "input": "prompt", "fieldset": "prompt",
    ]
    /// Class and id words that mark a block as not article, by category.
    static let boilerplateWords: [(prefix: String, category: String)] = [
        ("comment", "comments"), ("disqus", "comments"), ("repl", "comments"),
        ("share", "share"), ("sharing", "share"), ("social", "share"), ("follow", "share"),
        ("related", "related"), ("recommend", "related"), ("more-", "related"), ("outbrain", "related"),
        ("taboola", "related"), ("trending", "related"), ("popular", "related"), ("mostread", "related"),
        ("newsletter", "newsletter"), ("signup", "newsletter"), ("subscri", "subscription"), ("paywall", "subscription"),
        ("promo", "advertising"), ("advert", "advertising"), ("sponsor", "advertising"), ("ad", "advertising"),
        ("ads", "advertising"), ("dfp", "advertising"), ("gpt", "advertising"),
        ("cookie", "consent"), ("consent", "consent"), ("gdpr", "consent"),
        ("sidebar", "aside"), ("rail", "aside"), ("widget", "aside"),
        ("nav", "navigation"), ("menu", "navigation"), ("breadcrumb", "navigation"), ("pagination", "navigation"),
        ("pager", "navigation"), ("skip", "navigation"), ("masthead", "navigation"), ("footer", "footer"),
        ("byline", "byline"), ("author", "bio"), ("bio", "bio"),
        ("caption", "caption"), ("credit", "caption"),
        ("tags", "tags"), ("tag", "tags"), ("topics", "tags"),
        ("modal", "prompt"), ("popup", "prompt"), ("overlay", "prompt"), ("toolbar", "prompt"), ("print", "prompt"),
        ("hidden", "hidden"), ("sronly", "hidden"), ("screenreader", "hidden"),
    ]
    /// Words that a prefix above would catch but that name article parts ("commentary", "address").
    static let articleWords: Set<String> = [
        "commentary", "adjacent", "address", "advice", "admin", "addon", "adaptive", "shared", "navy", "authority",
        "biography", "tagline", "printable",
    ]
    /// Categories of class words that name short elements (see the cut in `extract`).
    static let shortCategories: Set<String> = ["caption", "byline", "bio", "tags"]
    static let quoteWords: Set<String> = ["embed", "embedded", "tweet", "twittertweet", "instagrammedia", "quote", "blockquote", "pullquote"]
    static let contentWords: Set<String> = [
        "article", "articlebody", "body", "content", "entry", "main", "post", "story", "storybody", "text", "prose", "blog",
    ]

    /// `explain`: also list every block outside the article as a removal (for `winnowctl clean --explain`).
    /// Without it only what was taken out of the article itself is listed: the page's chrome is most of
    /// its text, and building it costs a third of the time; the raw page is kept, so it can be explained later.
    static func extract(_ tree: HTMLTree, explain: Bool = false) -> ExtractedPage {
        let nodes = tree.nodes
        let metadata = PageMetadata.read(tree)
        guard !nodes.isEmpty else { return ExtractedPage(paragraphs: [], metadata: metadata, dropped: []) }

        // Pass 1: every visible block, to see where the page's article-like text is.
        var cut = [Cut?](repeating: nil, count: nodes.count)  // why an element is left out, by index
        for i in nodes.indices where nodes[i].flags.contains(.hidden) {
            cut[i] = Cut(ruleID: "html.hidden", category: "hidden")
        }
        // Cut what is never article: first by element and role, then by class and id, each time
        // measured against the article-like text still in place. A cut that would take most of that text
        // is not made: the page misnamed its article ("pg-rail-tall__body", "elementor-widget").
        var hints: [UTF8Key: Hint] = [:]  // by class and id (as bytes: they are read as bytes): pages repeat them
        var hintOf = [Hint?](repeating: nil, count: nodes.count)
        func analysis(_ i: Int) -> Hint {
            if let known = hintOf[i] { return known }
            let key = UTF8Key(nodes[i].text)
            let hint: Hint
            if let seen = hints[key] { hint = seen } else { hint = Hint(key.text); hints[key] = hint }
            hintOf[i] = hint
            return hint
        }
        let visibleBlocks = blocks(nodes, cut: cut, withText: false)
        var textual = nodes.map { $0.visible > 0 }  // has text in its subtree: only those are worth a look
        for i in stride(from: nodes.count - 1, through: 1, by: -1) where textual[i] && nodes[i].parent >= 0 { textual[Int(nodes[i].parent)] = true }
        // Characters under each inline element (a block's text is counted for the block, not for a <span>
        // inside it): an inline caption left unclosed holds the story as text of its own.
        var inlineText = [Int](repeating: 0, count: nodes.count)
        for i in stride(from: nodes.count - 1, through: 1, by: -1) where nodes[i].parent >= 0 {
            let parent = Int(nodes[i].parent)
            if !nodes[parent].kind.contains(.block) { inlineText[parent] += nodes[i].isText ? Int(nodes[i].visible) : inlineText[i] }
        }
        for byHints in [false, true] {
            let good = articleText(nodes, byHints ? blocks(nodes, cut: cut, withText: false) : visibleBlocks)
            let total = Double(good[0])
            // Captions, bylines, bios and tag lists are a line or two: one holding paragraphs of article text
            // is its container misnamed (an unclosed caption swallowing the story, a blog's posts classed
            // "entry author-NAME"), and so are the page's alike elements (same tag and first class word), short
            // or long, siblings or not (each post of a blog's front page in a wrapper of its own).
            func shape(_ i: Int) -> String { "\(nodes[i].tag) \(nodes[i].text.prefix { $0 != " " })" }
            var misnamed: Set<String> = []
            func held(_ i: Int) -> Int { max(good[i], inlineText[i]) }
            for i in nodes.indices where byHints && textual[i] && cut[i] == nil && held(i) >= 400 && !nodes[i].text.isEmpty && !nodes[i].kind.contains(.link) {
                if let category = analysis(i).category, ArticleExtractor.shortCategories.contains(category) { misnamed.insert(shape(i)) }
            }
            for i in nodes.indices where textual[i] && cut[i] == nil && !nodes[i].tag.isEmpty {
                if !byHints && nodes[i].flags.isDisjoint(with: .boilerplateRole) && !nodes[i].kind.contains(.boilerplate) { continue }
                if byHints && nodes[i].text.isEmpty { continue }
                let node = nodes[i]
                // A link's class names the link ("tag", "author"): its words are the sentence's.
                if byHints && (node.text.isEmpty || node.flags.contains(.declaredArticle) || node.tag == "a") { continue }
                guard let category = byHints ? analysis(i).category : elementCategory(node) else { continue }
                let ruleID = byHints ? "html.class.\(category)" : node.kind.contains(.boilerplate) ? "html.element.\(node.tag)" : "html.role.\(category)"
                let share = total > 0 ? Double(good[i]) / total : 0
                let declared = node.flags.contains(.declaredArticle) || analysis(i).content
                if share >= (byHints ? 0.5 : 0.8) || (declared && share >= 0.25) { continue }
                if byHints && ArticleExtractor.shortCategories.contains(category) && (held(i) >= 400 || misnamed.contains(shape(i))) { continue }
                cut[i] = Cut(ruleID: ruleID, category: category)
            }
        }

        cutRepeatedTeasers(nodes, &cut, measuredBy: visibleBlocks)

        // Pass 2: the blocks that remain; the article is the subtree with the most article-like text net of boilerplate.
        var best = bestElement(nodes, cut: cut).best
        // A cut that took more article-like text than the chosen element holds took the article with it
        // (a page-wide form, a modal or "widget" wrapper around the story): undo it and choose again.
        let shownText = articleText(nodes, visibleBlocks)
        for _ in 0..<3 where restoreCutArticle(nodes, &cut, shownText: shownText, best: best) {
            best = bestElement(nodes, cut: cut).best
        }
        // A second opinion that counts every readable paragraph however short: when the element it
        // chooses holds at least twice the readable text of the first choice, the first choice was a
        // sidebar's blurb or one part of an article of short lines; take the second.
        let kept = blocks(nodes, cut: cut, withText: false)
        if let second = readabilityChoice(nodes, blocks: kept), second != best {
            let readable = readableText(nodes, kept)
            if readable[second] >= 2 * readable[best] + 100 { best = second }
        }
        // The posts of a blog's front page, an article split in two parts: siblings as rich in text join it.
        let chosen = withSiblings(nodes, best: best, blocks: kept)
        func inArticle(_ owner: Int32) -> Bool { chosen.contains { Int32($0) <= owner && owner < nodes[$0].end } }

        var paragraphs: [String] = []
        var dropped: [Removal] = []
        for shown in explain ? [0..<nodes.count] : chosen.map({ $0..<Int(nodes[$0].end) }) {
            for block in ArticleExtractor.blocks(nodes, cut: cut, withText: true, in: shown) {
                guard !block.text.isEmpty else { continue }
                if !inArticle(block.owner) {
                    dropped.append(Removal(text: block.text, ruleID: "html.outside-article", category: "layout"))
                } else if block.linkDensity > 0.5 && !(block.chars >= 100 && block.punctuated) && block.chars - block.linkChars < 25 {
                    // A sentence that is mostly links (a digest's item) is text; a short run of links is a menu.
                    // So is a line with words of its own around its links (25 characters, four or five words:
                    // "Thanks to NAME, users can now import logins"): it cites them, a menu only names them.
                    dropped.append(Removal(text: block.text, ruleID: "html.link-list", category: "navigation"))
                } else if nodes[Int(block.owner)].tag == "h1" {
                    dropped.append(Removal(text: block.text, ruleID: "html.headline", category: "title"))
                } else {
                    paragraphs.append(block.text)
                }
            }
            // What was cut, recorded by the outermost cut element.
            var i = shown.lowerBound
            while i < shown.upperBound {
                if let reason = cut[i], !nodes[i].isText {
                    let text = plainText(nodes, i)
                    if !text.isEmpty { dropped.append(Removal(text: text, ruleID: reason.ruleID, category: reason.category)) }
                    i = Int(nodes[i].end)
                } else {
                    i += 1
                }
            }
        }
        return ExtractedPage(paragraphs: paragraphs, metadata: metadata, dropped: dropped)
    }

    /// Elements that teaser lists are made of: a story's link with a line or two, repeated.
    static let teaserTags: Set<String> = ["div", "li", "article", "section", "aside", "figure"]

    /// Cuts teaser lists: three or more sibling elements of one tag and class, each short and led by a
    /// link ("more stories", "latest news", a feed of other articles beside this one). Their sentences read
    /// like article text one by one; their repetition and links give them away. Not cut when they hold
    /// half the page's article-like text: then the page is the list (unless the cards are one-liners beside an
    /// article), nor when they stand between the article's paragraphs and are not mostly links (its fact boxes).
    static func cutRepeatedTeasers(_ nodes: [HTMLTree.Node], _ cut: inout [Cut?], measuredBy blocks: [Block]) {
        // Measured on the page as shown (before the other cuts took the cards' headers and share bars).
        var chars = [Int](repeating: 0, count: nodes.count)
        var links = [Int](repeating: 0, count: nodes.count)
        var good = [Int](repeating: 0, count: nodes.count)
        var paragraphs = [Int](repeating: 0, count: nodes.count)  // article-like blocks
        for block in blocks {
            chars[Int(block.owner)] += block.chars
            links[Int(block.owner)] += block.linkChars
            if block.isArticleLike { good[Int(block.owner)] += block.chars; paragraphs[Int(block.owner)] += 1 }
        }
        // A card has a picture or a heading; an article's own list items (a digest's points) do not.
        var card = nodes.map { $0.tag == "img" || $0.tag == "picture" || $0.kind.contains(.heading) }
        for i in stride(from: nodes.count - 1, through: 1, by: -1) where nodes[i].parent >= 0 {
            let parent = Int(nodes[i].parent)
            chars[parent] += chars[i]; links[parent] += links[i]; good[parent] += good[i]; paragraphs[parent] += paragraphs[i]
            if card[i] { card[parent] = true }
        }
        let total = max(1, good[0])
        // Group each parent's teaser-shaped children by tag and class.
        var groups: [Int: [String: [Int]]] = [:]
        // A blog's posts look like cards (a heading, a date line, "Comments (3)") but vary in length: when a
        // sibling of the same tag and class is too long for a teaser and holds paragraphs of article text,
        // its short alike siblings are posts too, not a list of other stories.
        var posts: [Int: Set<String>] = [:]
        for i in nodes.indices where cut[i] == nil && nodes[i].kind.contains(.teaser) {
            let node = nodes[i]
            let text = chars[i]
            guard node.parent >= 0 else { continue }
            if text > 800 {
                if paragraphs[i] >= 2 && good[i] >= 400 { posts[Int(node.parent), default: []].insert(node.tag + " " + node.text) }
                continue
            }
            guard text > 0, links[i] * 10 >= text, card[i] else { continue }
            groups[Int(node.parent), default: [:]][node.tag + " " + node.text, default: []].append(i)
        }
        for (parent, byShape) in groups {
            for (shape, members) in byShape where members.count >= 3 && !(posts[parent]?.contains(shape) ?? false) {
                let held = members.reduce(0) { $0 + good[$1] }
                // Half the page's article-like text: the page is the list (a blog's front page), unless each
                // card is a headline and at most one line of summary beside an article of 500+ characters
                // (a stream of other stories longer than the short story it runs beside).
                let oneLiners = members.allSatisfy { paragraphs[$0] <= 1 }
                guard held * 2 < total || (oneLiners && total - held >= 500) else { continue }
                let linkText = members.reduce(0) { $0 + links[$1] }, text = members.reduce(0) { $0 + chars[$1] }
                if interleaved(nodes, members, good: good) && linkText * 3 < text { continue }
                for i in members { cut[i] = Cut(ruleID: "html.repeated-teasers", category: "related") }
            }
        }
    }

    /// Whether article-like text stands between the members of a group (siblings, in page order) in at least
    /// half the gaps: boxes set between the article's paragraphs (a fact box, a list of questions, each with a
    /// heading and a link or two) are the article's own; a list of other stories runs on its own.
    static func interleaved(_ nodes: [HTMLTree.Node], _ members: [Int], good: [Int]) -> Bool {
        let sorted = members.sorted()
        var gapsWithText = 0
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            var sibling = Int(nodes[a].end)
            while sibling < b {
                if good[sibling] > 0 { gapsWithText += 1; break }
                sibling = Int(nodes[sibling].end)
            }
        }
        return gapsWithText * 2 >= sorted.count - 1
    }

    /// The category of an element that is never article text by its name or role, or nil.
    static func elementCategory(_ node: HTMLTree.Node) -> String? {
        if let category = boilerplateTags[node.tag] { return category }
        return node.flags.contains(.boilerplateRole) ? "navigation" : nil
    }

    /// The page's text blocks in order, leaving out cut elements and what is never text.
    static func blocks(_ nodes: [HTMLTree.Node], cut: [Cut?], withText: Bool, in range: Range<Int>? = nil) -> [Block] {
        let range = range ?? 0..<nodes.count
        var blocks: [Block] = []
        var open: [(index: Int32, isBlock: Bool, isLink: Bool)] = []
        var owners: [Int32] = [Int32(range.lowerBound)]
        var current = Block(owner: Int32(range.lowerBound), text: "", chars: 0, linkChars: 0)
        var links = 0

        func flush() {
            if current.chars > 0 {
                if withText { current.text = collapseSpaces(current.text) }
                blocks.append(current)
            }
            let owner = owners.last ?? 0
            current = Block(owner: owner, text: "", chars: 0, linkChars: 0)
        }
        func close() {
            let element = open.removeLast()
            if element.isLink { links -= 1 }
            if element.isBlock { flush(); owners.removeLast(); current.owner = owners.last ?? 0 }
        }

        var i = range.lowerBound
        while i < range.upperBound {
            while let top = open.last, i >= Int(nodes[Int(top.index)].end) { close() }
            let kind = nodes[i].kind
            if nodes[i].tag.isEmpty {  // text (read field by field: copying a Node retains its strings)
                let count = Int(nodes[i].visible)
                if nodes[i].flags.contains(.punctuated) { current.punctuated = true }
                current.commas += Int(nodes[i].commas)
                if withText, count > 0 || !current.text.isEmpty {
                    current.text += nodes[i].text
                }
                if count > 0 {
                    current.chars += count
                    if links > 0 { current.linkChars += count }
                }
                i += 1
                continue
            }
            if cut[i] != nil || kind.contains(.opaque) || kind.contains(.head) {
                if kind.contains(.block) { flush() }
                i = Int(nodes[i].end)
                continue
            }
            let isBlock = kind.contains(.block)
            let isLink = kind.contains(.link)
            if isBlock {
                flush()
                owners.append(Int32(i))
                current.owner = Int32(i)
            }
            if isLink { links += 1 }
            open.append((Int32(i), isBlock, isLink))
            i += 1
        }
        while !open.isEmpty { close() }
        flush()
        return blocks
    }

    /// Article-like characters under each element (pass 1's measure of where the article is).
    static func articleText(_ nodes: [HTMLTree.Node], _ blocks: [Block]) -> [Int] {
        var good = [Int](repeating: 0, count: nodes.count)
        for block in blocks where block.isArticleLike { good[Int(block.owner)] += block.chars }
        for i in stride(from: nodes.count - 1, through: 0, by: -1) where nodes[i].parent >= 0 {
            good[Int(nodes[i].parent)] += good[i]
        }
        return good
    }

    /// The text under one element, spaces collapsed (for recording what was cut).
    static func plainText(_ nodes: [HTMLTree.Node], _ index: Int) -> String {
        var text = ""
        var i = index + 1
        while i < Int(nodes[index].end) {
            let node = nodes[i]
            if node.isText { text += node.text; i += 1 }
            else if node.kind.contains(.opaque) { i = Int(node.end) }
            else { if node.kind.contains(.block) { text += " " }; i += 1 }
        }
        return collapseSpaces(text)
    }

    /// Characters that are not white space (UTF-8 lead bytes of non-space characters), whether any is
    /// sentence punctuation (ASCII . ! ? : ; , the ideographic full stop and comma, the fullwidth comma),
    /// and how many are commas.
    static func measure(_ text: String) -> (count: Int, punctuated: Bool, commas: Int) {
        var count = 0
        var punctuated = false
        var commas = 0
        var state = 0  // 1: after E3 or EF, 2: after E3 80, 3: after EF BC (the fullwidth comma is EF BC 8C)
        for byte in text.utf8 {
            switch byte {
            case 0x20, 0x0A, 0x09, 0x0D: break
            case 0x2C: count += 1; punctuated = true; commas += 1
            case 0x2E, 0x21, 0x3F, 0x3A, 0x3B: count += 1; punctuated = true
            case 0x80...0xBF:
                if state == 2 && (byte == 0x81 || byte == 0x82) { punctuated = true; if byte == 0x81 { commas += 1 } }
                if state == 3 && byte == 0x8C { punctuated = true; commas += 1 }
            default: count += 1
            }
            state = byte == 0xE3 || byte == 0xEF ? 1 : (state == 1 && byte == 0x80 ? 2 : state == 1 && byte == 0xBC ? 3 : 0)
        }
        return (count, punctuated, commas)
    }

    /// Runs of white space (ASCII and no-break space) as one space, none at the ends.
    static func collapseSpaces(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            var b = byte
            if b == 0xC2 {
                guard let next = utf8.next() else { bytes.append(b); break }
                if next == 0xA0 { pendingSpace = true; continue }
                if pendingSpace, !bytes.isEmpty { bytes.append(0x20) }
                pendingSpace = false
                bytes.append(b)
                b = next
            } else if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C {
                pendingSpace = true
                continue
            }
            if pendingSpace, !bytes.isEmpty { bytes.append(0x20) }
            pendingSpace = false
            bytes.append(b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension ArticleExtractor {
    /// The article of an HTML page given as text.
    static func extract(html: String, explain: Bool = false) throws -> ExtractedPage {
        extract(try HTMLTree(html: html), explain: explain)
    }

    /// The article of an HTML page given as bytes in its own encoding (its `<meta charset>` or UTF-8).
    static func extract(bytes: UnsafeRawBufferPointer, explain: Bool = false) throws -> ExtractedPage {
        extract(try HTMLTree(bytes: bytes, encoding: nil), explain: explain)
    }
}
