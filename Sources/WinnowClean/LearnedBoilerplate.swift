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

    public static let ruleID = "learned.recurring-line"

    /// The paragraphs of a cleaned article that count towards learning: short ones, each once.
    public func lines(of document: CleanedDocument) -> [String] {
        guard minCount > 0 else { return [] }
        var seen = Set<String>()
        return document.text.components(separatedBy: "\n\n").filter { line in
            !line.isEmpty && line.utf8.count <= maxLineLength * 4 && line.count <= maxLineLength && seen.insert(line).inserted
        }
    }

    /// The document without the paragraphs in `learned` (the source's learned lines), each recorded as a
    /// removal, unless together they pass `maxShare` of the text.
    public func apply(_ learned: Set<String>, to document: CleanedDocument, source: String) -> CleanedDocument {
        guard minCount > 0, !learned.isEmpty else { return document }
        let paragraphs = document.text.components(separatedBy: "\n\n")
        let hits = paragraphs.filter { learned.contains($0) }
        guard !hits.isEmpty else { return document }
        let total = paragraphs.reduce(0) { $0 + $1.count }
        guard Double(hits.reduce(0) { $0 + $1.count }) <= maxShare * Double(total) else { return document }
        var result = document
        result.text = paragraphs.filter { !learned.contains($0) }.joined(separator: "\n\n")
        result.removed += hits.map { Removal(text: $0, ruleID: Self.ruleID, category: "learned:\(source)") }
        return result
    }
}
