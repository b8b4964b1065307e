import Foundation

/// A paragraph the cleaner removed, and the rule that removed it.
public struct Removal: Sendable, Codable, Equatable {
    public var text: String
    public var ruleID: String
    public var category: String

    public init(text: String, ruleID: String, category: String) {
        self.text = text
        self.ruleID = ruleID
        self.category = category
    }
}

/// The cleaned article: body text plus what was lifted out as metadata or removed as boilerplate.
public struct CleanedDocument: Sendable, Codable, Equatable {
    public var title: String?
    public var author: String?
    /// Paragraphs separated by a blank line.
    public var text: String
    public var removed: [Removal]
    /// The publication date a page states, as written (the pipeline parses it); nil for plain text.
    public var published: String?
    /// The page's canonical URL (`<link rel="canonical">`, `og:url`); nil for plain text.
    public var canonicalURL: String?
    /// `published` as a date, where the pipeline could read it (it knows the feed date formats).
    public var publishedAt: Date?

    public init(title: String?, author: String?, text: String, removed: [Removal], published: String? = nil, canonicalURL: String? = nil) {
        self.title = title
        self.author = author
        self.text = text
        self.removed = removed
        self.published = published
        self.canonicalURL = canonicalURL
    }
}

/// Why a rule set could not be used.
public struct RuleError: Error, CustomStringConvertible {
    public var ruleID: String
    public var reason: String
    public var description: String { "cleaning rule \"\(ruleID)\": \(reason)" }
}

/// Cleans article text: from HTML or plain text to normalized paragraphs, with boilerplate removed by rules.
public struct Cleaner: Sendable {
    struct CompiledRule: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe once built.
        let rule: BoilerplateRule
        let regex: NSRegularExpression
        let keywordBytes: [[UInt8]]?
    }

    let rules: [CompiledRule]

    /// Compiles the rules; a rule whose pattern is not a valid regular expression is refused by id.
    public init(rules: [BoilerplateRule] = BoilerplateRule.defaults) throws {
        self.rules = try rules.map { rule in
            do {
                return CompiledRule(rule: rule, regex: try NSRegularExpression(pattern: rule.pattern),
                                    keywordBytes: rule.keywords.map { $0.map { Array($0.lowercased().utf8) } })
            } catch {
                throw RuleError(ruleID: rule.id, reason: "pattern \(rule.pattern) is not a valid regular expression")
            }
        }
    }

    /// The first rule that matches the paragraph, with the match. A rule is not tried on a paragraph
    /// longer than its `maxLength`: each try hands the paragraph to ICU as UTF-16, which costs more than
    /// the matching, and most rules are for short lines.
    func firstRule(matching paragraph: String) -> (CompiledRule, NSTextCheckingResult)? {
        // The UTF-16 length is counted only when the UTF-8 length cannot settle a bound (a paragraph has
        // at most as many UTF-16 units as UTF-8 bytes, and at least a third as many): counting it builds
        // breadcrumbs for a non-ASCII paragraph, 3% of an ingest when done for every one.
        let bytes = paragraph.utf8.count
        var counted: Int?
        func length() -> Int {
            if let counted { return counted }
            let length = paragraph.utf16.count
            counted = length
            return length
        }
        var lowercased: [UInt8]?  // made once, for the first rule with keywords
        for compiled in rules {
            if let max = compiled.rule.maxLength, bytes > max, bytes > 3 * max || length() > max { continue }
            if let keywords = compiled.keywordBytes {
                if lowercased == nil { lowercased = paragraph.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
                guard keywords.contains(where: { Self.contains(lowercased!, $0) }) else { continue }
            }
            if let match = compiled.regex.firstMatch(in: paragraph, range: NSRange(location: 0, length: length())) { return (compiled, match) }
        }
        return nil
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return needle.isEmpty }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                guard let base = h.baseAddress else { return false }
                var start = 0
                let last = h.count - n.count
                while start <= last, let hit = memchr(base + start, Int32(first), last - start + 1) {
                    let i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + i, n.baseAddress!, n.count) == 0 { return true }
                    start = i + 1
                }
                return false
            }
        }
    }

    /// Cleans a document that is either HTML or plain text (detected from its content). From HTML, the
    /// article is found first (see `ArticleExtractor`) and the page's metadata fills what the feed left out.
    /// `explain` lists every block of a page outside its article among the removals too (see `ArticleExtractor`).
    public func clean(document: String, title: String? = nil, author: String? = nil, explain: Bool = false) -> CleanedDocument {
        if Self.looksLikeHTML(document) {
            do {
                return clean(page: try ArticleExtractor.extract(html: document, explain: explain), title: title, author: author)
            } catch {
                // The parser found no elements at all: the text is all there is.
                var result = clean(paragraphs: [document], title: title, author: author)
                result.removed.append(Removal(text: "", ruleID: "html.unparsable", category: "layout"))
                return result
            }
        }
        return clean(paragraphs: Self.lines(of: document), title: title, author: author)
    }

    /// Cleans an HTML page given as bytes in its own encoding (its `<meta charset>`, else UTF-8).
    public func clean(htmlBytes: UnsafeRawBufferPointer, title: String? = nil, author: String? = nil, explain: Bool = false) throws -> CleanedDocument {
        clean(page: try ArticleExtractor.extract(bytes: htmlBytes, explain: explain), title: title, author: author)
    }

    /// A document's bytes as text: an HTML page in the encoding it declares (its `<meta charset>`, else
    /// Windows-1252 when it is not UTF-8), the way the cleaner reads it; anything else as UTF-8.
    public static func text(ofDocument bytes: UnsafeRawBufferPointer) -> String {
        if looksLikeHTML(bytes: bytes), let text = try? HTMLTree.transcoded(bytes, encoding: nil) { return text }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The article of an HTML page before the boilerplate rules: what the page's structure alone says.
    public static func extractArticle(htmlBytes: UnsafeRawBufferPointer) throws -> ExtractedPage {
        try ArticleExtractor.extract(bytes: htmlBytes)
    }

    private func clean(page: ExtractedPage, title: String?, author: String?) -> CleanedDocument {
        var result = clean(paragraphs: page.paragraphs, title: title ?? page.metadata.title, author: author ?? page.metadata.author)
        result.removed.insert(contentsOf: page.dropped, at: 0)
        result.published = page.metadata.published
        result.canonicalURL = page.metadata.canonicalURL
        return result
    }

    /// A paragraph this long is article text, not a teaser's summary.
    static let articleParagraphLength = 400

    /// True when the text looks like HTML rather than plain text: one of a few tags in its first 4,096
    /// characters, in any case.
    public static func looksLikeHTML(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            // The head's bytes, up to the 4,097th scalar (Foundation's lowercased copy of the head was an
            // eighth of cleaning a plain text).
            var end = 0, scalars = 0
            while end < bytes.count {
                if bytes[end] & 0xC0 != 0x80 { scalars += 1; if scalars > 4096 { break } }
                end += 1
            }
            return hasHTMLMarker(UnsafeBufferPointer(rebasing: bytes[..<end]))
        }
    }

    /// `looksLikeHTML` of a document's bytes, as its first 4,096 bytes read as text.
    public static func looksLikeHTML(bytes: UnsafeRawBufferPointer) -> Bool {
        hasHTMLMarker(UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, 4096)]).bindMemory(to: UInt8.self))
    }

    /// One of `htmlMarkers` in the head, in any case.
    static func hasHTMLMarker(_ head: UnsafeBufferPointer<UInt8>) -> Bool {
        var at = 0
        while at < head.count, let open = memchr(head.baseAddress! + at, 0x3C, head.count - at) {
            let i = head.baseAddress!.distance(to: open.assumingMemoryBound(to: UInt8.self))
            if htmlMarkers.contains(where: { Self.hasPrefixIgnoringCase(head, at: i, $0) }) { return true }
            at = i + 1
        }
        return false
    }

    static let htmlMarkers: [[UInt8]] = ["<html", "<!doctype html", "<p>", "<p ", "<div", "<br", "<body", "<article"].map { Array($0.utf8) }

    /// `marker` (lowercase ASCII) at `offset` of `bytes`, ASCII letters compared in either case.
    static func hasPrefixIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, _ marker: [UInt8]) -> Bool {
        guard offset + marker.count <= bytes.count else { return false }
        for (k, m) in marker.enumerated() {
            let b = bytes[offset + k]
            if (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) != m { return false }
        }
        return true
    }

    /// The text's lines, split at every line break `Character.isNewline` knows (LF, VT, FF, CR, NEL, the
    /// line and paragraph separators), empty ones left out: the same lines as splitting its Characters,
    /// at a tenth of the cost.
    static func lines(of text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            var lines: [String] = []
            var start = 0, i = 0
            let n = bytes.count
            while i < n {
                let b = bytes[i]
                var width = 0
                if b >= 0x0A && b <= 0x0D {
                    width = 1
                } else if b == 0xC2, i + 1 < n, bytes[i + 1] == 0x85 {
                    width = 2
                } else if b == 0xE2, i + 2 < n, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 {
                    width = 3
                }
                guard width > 0 else { i += 1; continue }
                if i > start { lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)) }
                i += width
                start = i
            }
            if n > start { lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<n]), as: UTF8.self)) }
            return lines
        }
    }

    /// Words (runs between single spaces, as in normalized text) up to `limit + 1`: enough to tell a
    /// short line from a long one without splitting a long paragraph.
    static func wordCount(_ p: String, upTo limit: Int) -> Int {
        var words = 0, inWord = false
        for b in p.utf8 {
            if b == 0x20 { inWord = false } else if !inWord { inWord = true; words += 1; if words > limit { break } }
        }
        return words
    }

    /// Cleans paragraphs that are already text. `title` and `author` are known metadata (from the feed);
    /// when missing they are taken from the text.
    public func clean(paragraphs input: [String], title knownTitle: String? = nil, author knownAuthor: String? = nil) -> CleanedDocument {
        let normalized = input.map(TextNormalizer.normalizeParagraph)
        var paragraphs = normalized.filter { !$0.isEmpty }
        var removed: [Removal] = []
        var author = knownAuthor
        var title = knownTitle.map(TextNormalizer.normalizeParagraph)

        func remove(_ index: Int, _ id: String, _ category: String) {
            removed.append(Removal(text: paragraphs[index], ruleID: id, category: category))
        }

        // Repeated paragraphs: a one-sentence paragraph printed exactly twice is a pull quote; keep the first.
        // Short lines and lines that recur many times are the article's own structure (table cells, recipe
        // steps, interview questions) and stay, and so does a paragraph of several sentences printed twice:
        // that is the page's own text, and every human truth we score against keeps both copies.
        let candidates = paragraphs.map { $0.utf8.count >= 60 && Self.isOneSentence($0) }
        var occurrences: [UTF8Key: Int] = [:]
        for (p, candidate) in zip(paragraphs, candidates) where candidate { occurrences[UTF8Key(p), default: 0] += 1 }
        var seen = Set<UTF8Key>()
        var kept: [String] = []
        for (p, candidate) in zip(paragraphs, candidates) {
            if candidate, occurrences[UTF8Key(p)] == 2, !seen.insert(UTF8Key(p)).inserted {
                removed.append(Removal(text: p, ruleID: StructuralRule.repeatedParagraph, category: "repeat"))
            } else {
                kept.append(p)
            }
        }
        paragraphs = kept

        // Rules matched one paragraph at a time.
        var keep = [Bool](repeating: true, count: paragraphs.count)
        var block: BoilerplateRule?  // a block-start rule matched: everything after it goes with it
        var labels: [(index: Int, rule: BoilerplateRule)] = []  // teaser labels, in order
        for (i, p) in paragraphs.enumerated() {
            if let block { remove(i, block.id, block.category); keep[i] = false; continue }
            guard let (compiled, match) = firstRule(matching: p) else { continue }
            let rule = compiled.rule
            switch rule.kind {
            case .paragraph:
                remove(i, rule.id, rule.category)
            case .blockStart:
                remove(i, rule.id, rule.category)
                block = rule
            case .teaserLabel:
                remove(i, rule.id, rule.category)
                labels.append((i, rule))
            case .byline:
                if author == nil, match.numberOfRanges > 1, let r = Range(match.range(at: 1), in: p) { author = String(p[r]) }
                remove(i, rule.id, rule.category)
            }
            keep[i] = false
        }
        // The first teaser label that has two thirds of the text before it and after which nothing is article-long
        // takes all that follows with it. ("TRENDING" above an article of short paragraphs takes nothing.)
        for (index, rule) in labels {
            let rest = (index + 1)..<paragraphs.count
            let before = paragraphs[..<index].indices.reduce(0) { $0 + (keep[$1] ? paragraphs[$1].utf8.count : 0) }
            let after = rest.reduce(0) { $0 + (keep[$1] ? paragraphs[$1].utf8.count : 0) }
            guard before > 2 * after,
                  rest.allSatisfy({ !keep[$0] || paragraphs[$0].utf16.count < Self.articleParagraphLength }) else { continue }
            for j in rest where keep[j] { remove(j, rule.id, rule.category); keep[j] = false }
            break
        }
        paragraphs = zip(paragraphs, keep).filter(\.1).map(\.0)

        // Captions: a short heading line directly above a caption belongs to the caption.
        paragraphs = removeCaptionHeadings(paragraphs, original: normalized, removed: &removed)

        // Section label and title at the top: "Defense" above "China tells US ...".
        if paragraphs.count >= 2, Self.isLabel(paragraphs[0]), Self.isHeadline(paragraphs[1]) {
            removed.append(Removal(text: paragraphs[0], ruleID: StructuralRule.sectionLabel, category: "section-label"))
            paragraphs.removeFirst()
        }
        if let first = paragraphs.first, Self.isHeadline(first), paragraphs.count >= 2 {
            if title == nil { title = first }
            if title == first { paragraphs.removeFirst() }
        }

        paragraphs = removeTrailingTeasers(paragraphs, removed: &removed)

        return CleanedDocument(title: title.map { Self.bounded($0, Self.maxTitleLength) }, author: author.map { Self.bounded($0, Self.maxAuthorLength) },
                               text: paragraphs.joined(separator: "\n\n"), removed: removed)
    }

    /// No sentence ends before the paragraph's last few characters (". ", "! " or "? " inside it).
    static func isOneSentence(_ paragraph: String) -> Bool {
        let bytes = Array(paragraph.utf8)
        guard bytes.count > 4 else { return true }
        for k in 0..<(bytes.count - 4) where bytes[k + 1] == 0x20 && (bytes[k] == 0x2E || bytes[k] == 0x21 || bytes[k] == 0x3F) { return false }
        return true
    }

    /// The longest title and author a cleaned article keeps (characters). A feed that sends a 1 MB title
    /// is hostile or broken; stage 1 keeps what it sent, listings get a title that fits on a screen.
    public static let maxTitleLength = 1_000
    public static let maxAuthorLength = 300

    /// `text` cut to `limit` characters at a word boundary where there is one near the end, with "…".
    static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.count > limit else { return text }
        let cut = text.prefix(limit - 1)
        let atWord = cut.lastIndex(of: " ").map { cut[..<$0] }.flatMap { $0.count > limit * 3 / 4 ? $0 : nil } ?? cut
        return atWord + "…"
    }

    /// A short heading directly above a caption paragraph in the original text is the caption's title.
    private func removeCaptionHeadings(_ paragraphs: [String], original: [String], removed: inout [Removal]) -> [String] {
        let captions = Set(removed.filter { $0.category == "caption" }.map(\.text))
        guard !captions.isEmpty else { return paragraphs }
        let lines = original.filter { !$0.isEmpty }
        // The document's first headline is its title even when the lead photo's caption follows it.
        let titleIndex = lines.firstIndex(where: Self.isHeadline)
        var headings = Set<String>()
        for (i, line) in lines.enumerated().dropLast() where i != titleIndex && captions.contains(lines[i + 1]) && Self.isHeadline(line) {
            headings.insert(line)
        }
        return paragraphs.filter { p in
            guard headings.contains(p) else { return true }
            removed.append(Removal(text: p, ruleID: StructuralRule.captionHeading, category: "caption"))
            return false
        }
    }

    /// Related-article teasers after the article's last paragraph: kicker-led ("WAITING GAME: ...") or cut off
    /// mid-sentence. Only a run that holds a kicker or more than one long cut-off paragraph is taken, so an
    /// article whose last paragraph merely lacks a full stop keeps it.
    private func removeTrailingTeasers(_ paragraphs: [String], removed: inout [Removal]) -> [String] {
        var start = paragraphs.count
        var kickers = 0
        while start > 1 {
            let p = paragraphs[start - 1]
            let words = Self.wordCount(p, upTo: 25)
            // Teasers are long: a kicker with its lead, or a lead cut off mid-sentence. Short unfinished
            // lines (a list, a sign-off) are not.
            // A kicker over finished sentences, two or more, is a section of the article led by a label
            // ("ONES TO WATCH: ...", "UPDATE: ..."): a teaser's lead is one sentence, or cut off.
            let kicker = Self.hasKicker(p) && words >= 12 && !(Self.endsSentence(p) && Self.sentenceCount(p, upTo: 2) >= 2)
            guard kicker || (!Self.endsSentence(p) && words >= 25) else { break }
            if kicker { kickers += 1 }
            start -= 1
        }
        let run = paragraphs.count - start
        guard run > 0, kickers > 0 || run > 1 else { return paragraphs }
        for p in paragraphs[start...] {
            removed.append(Removal(text: p, ruleID: StructuralRule.trailingTeasers, category: "related"))
        }
        return Array(paragraphs[..<start])
    }

    /// "WAITING GAME: The US has ..." — an all-caps kicker of one to four words before a colon.
    static func hasKicker(_ p: String) -> Bool {
        guard let colon = p.prefix(40).firstIndex(of: ":") else { return false }
        let head = p[..<colon]
        let words = head.split(separator: " ")
        return (1...4).contains(words.count) && head.contains(where: \.isLetter)
            && head.allSatisfy { $0.isUppercase || $0 == " " || $0 == "-" || $0.isNumber }
    }

    /// Sentences in a paragraph, counted up to `limit`: a full stop, ! or ? (or an ellipsis) that ends a word
    /// of two or more letters or digits (not an initial, nor an abbreviation such as "U.S.C."), then closing
    /// quotes or brackets, then a space or the end.
    static func sentenceCount(_ p: String, upTo limit: Int) -> Int {
        func isWordByte(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || (b >= 0x30 && b <= 0x39) || b >= 0x80 }
        var count = 0
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        var pending = false  // after a sentence's end mark, waiting for the space
        for b in p.utf8 {
            if pending {
                if b == 0x20 {
                    count += 1
                    if count >= limit { return count }
                    pending = false
                } else if !(b == 0x2E || b == 0x21 || b == 0x3F || b == 0x22 || b == 0x27 || b == 0x29 || b == 0xE2 || b == 0x80 || b == 0x99 || b == 0x9D) {
                    // Not a closing quote or bracket (ASCII, or the bytes of ” and ’), nor more of an ellipsis.
                    pending = false
                }
            } else if (b == 0x2E || b == 0x21 || b == 0x3F) && isWordByte(previous) && isWordByte(beforePrevious) {
                pending = true
            }
            beforePrevious = previous
            previous = b
        }
        return pending ? count + 1 : count
    }

    static func endsSentence(_ p: String) -> Bool {
        guard let last = p.last else { return true }
        return ".!?…\"”’')]".contains(last)
    }

    /// One to three words with no sentence punctuation: a section label such as "Defense".
    static func isLabel(_ p: String) -> Bool {
        (1...3).contains(wordCount(p, upTo: 3)) && !p.utf8.contains(where: { $0 == 0x2E || $0 == 0x2C || $0 == 0x3A || $0 == 0x3B || $0 == 0x21 || $0 == 0x3F })
    }

    /// A short line that does not end like a sentence: a title or heading.
    static func isHeadline(_ p: String) -> Bool {
        guard (2...25).contains(wordCount(p, upTo: 25)), p.count <= 200, let last = p.last else { return false }
        return !".:;,".contains(last)
    }
}
