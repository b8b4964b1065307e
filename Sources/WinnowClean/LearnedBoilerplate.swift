import Foundation

/// Boilerplate learned per source: a short paragraph that recurs in many articles of one site ("Follow
/// us on Telegram", a desk's sign-off, a standing disclaimer) is that site's boilerplate, whatever it says.
///
/// Counting is the store's (it survives restarts); this type decides what is counted and what is removed.
/// Two bounds keep real news: only short lines are learned (a recurring news sentence is long), and learned
/// lines never take more than `maxShare` of an article (an article that is mostly "recurring" lines is one
/// the source repeats on purpose, such as a daily briefing, and is left whole).
public struct LearnedBoilerplate: Sendable, Equatable {
    /// Articles of one source a line must appear in before it is boilerplate; 0 turns learning off.
    public var minCount: Int
    /// Longer paragraphs are never learned.
    public var maxLineLength: Int
    /// The most of an article's characters learned lines may remove.
    public var maxShare: Double

    public init(minCount: Int = 5, maxLineLength: Int = 300, maxShare: Double = 0.3) {
        self.minCount = minCount
        self.maxLineLength = maxLineLength
        self.maxShare = maxShare
    }

    /// The paragraphs of a cleaned article that count towards learning: short ones, each once.
    public func lines(of document: CleanedDocument) -> [String] {
        lines(among: shortParagraphs(of: document))
    }

    /// The paragraphs that could be learned lines, in order, repeats kept: what `lines(among:)` and
    /// `apply(_:to:source:shortParagraphs:)` take, so a caller that needs both splits the text once
    /// (and can do it on another thread than the one that applies).
    public func shortParagraphs(of document: CleanedDocument) -> [String] {
        guard minCount > 0 else { return [] }
        return Self.shortParagraphs(of: document.text, maxBytes: maxLineLength * 4)
    }

    /// `lines(of:)` from the document's `shortParagraphs(of:)`.
    public func lines(among shortParagraphs: [String]) -> [String] {
        guard minCount > 0 else { return [] }
        var seen = Set<String>()
        return shortParagraphs.filter { line in
            !line.isEmpty && (line.utf8.count <= maxLineLength || line.count <= maxLineLength) && seen.insert(line).inserted
        }
    }

    /// The document without the paragraphs in `learned` (the source's learned lines), each recorded as a
    /// removal, unless together they pass `maxShare` of the text.
    public func apply(_ learned: Set<String>, to document: CleanedDocument, source: String) -> CleanedDocument {
        apply(learned, to: document, source: source, shortParagraphs: shortParagraphs(of: document))
    }

    /// `apply(_:to:source:)` given the document's `shortParagraphs(of:)`.
    public func apply(_ learned: Set<String>, to document: CleanedDocument, source: String, shortParagraphs: [String]) -> CleanedDocument {
        guard minCount > 0, !learned.isEmpty else { return document }
        // Only a short paragraph can be a learned line: the long ones are neither copied nor hashed.
        let hits = shortParagraphs.filter { learned.contains($0) }
        guard !hits.isEmpty else { return document }
        let paragraphs = Self.paragraphs(of: document.text)
        let total = paragraphs.reduce(0) { $0 + $1.count }
        guard Double(hits.reduce(0) { $0 + $1.count }) <= maxShare * Double(total) else { return document }
        var result = document
        result.text = paragraphs.filter { !learned.contains($0) }.joined(separator: "\n\n")
        result.removed += hits.map { Removal(text: $0, ruleID: Self.ruleID, category: "learned:\(source)") }
        return result
    }

    public static let ruleID = "learned.recurring-line"

    /// The text split at each "\n\n", as `components(separatedBy: "\n\n")` splits it (Foundation's search
    /// took a tenth of an ingest's time).
    static func paragraphs(of text: String) -> [String] {
        shortParagraphs(of: text, maxBytes: .max)
    }

    /// The paragraphs of at most `maxBytes` bytes, in order; the others are skipped without a copy.
    static func shortParagraphs(of text: String, maxBytes: Int) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            var paragraphs: [String] = []
            func add(_ range: Range<Int>) {
                if range.count <= maxBytes { paragraphs.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)) }
            }
            var start = 0, i = 0
            while i + 1 < bytes.count {
                if bytes[i] == 0x0A && bytes[i + 1] == 0x0A {
                    add(start..<i)
                    i += 2
                    start = i
                } else {
                    i += 1
                }
            }
            add(start..<bytes.count)
            return paragraphs
        }
    }
}
