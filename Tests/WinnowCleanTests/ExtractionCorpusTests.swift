import Foundation
import Testing
@testable import WinnowClean

/// The quality floor on ../shared/corpus/article-extraction (181 real news pages with a human-written
/// article body each), scored the corpus's way: token 4-gram shingles per document, true and false
/// positives and negatives normalised per document, precision and recall averaged, F1 of the means.
/// bench/extract/run.sh reports the same figures beside trafilatura's and readability's.
@Suite struct ExtractionCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus/article-extraction")

    @Test func f1OnTheCorpusIsAtLeast096() async throws {
        let (f1, precision, recall) = try await offThePool { try Self.score() }
        #expect(f1 >= 0.96, "F1 \(f1), precision \(precision), recall \(recall)")
    }

    static func score() throws -> (f1: Double, precision: Double, recall: Double) {
        let pages = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.appendingPathComponent("html").path)
            .filter { $0.hasSuffix(".html") }.sorted()
        guard pages.count == 181 else { throw CorpusError(description: "the corpus at \(Self.corpus.path) has \(pages.count) pages, not 181") }
        let cleaner = try Cleaner()
        var precisions: [Double] = [], recalls: [Double] = []
        for page in pages {
            let name = String(page.dropLast(5))
            let html = try Data(contentsOf: Self.corpus.appendingPathComponent("html/\(page)"))
            let truthData = try Data(contentsOf: Self.corpus.appendingPathComponent("truth/\(name).json"))
            let truth = (try JSONSerialization.jsonObject(with: truthData) as? [String: Any])?["articleBody"] as? String ?? ""
            let predicted = (try? html.withUnsafeBytes { try cleaner.clean(htmlBytes: $0) })?.text ?? ""
            let (tp, fp, fn) = Self.match(truth: truth, predicted: predicted)
            if tp + fp > 0 { precisions.append(fp == 0 && fn == 0 ? 1 : tp / (tp + fp)) }
            if tp + fn > 0 { recalls.append(fp == 0 && fn == 0 ? 1 : tp / (tp + fn)) }
        }
        let precision = precisions.reduce(0, +) / Double(precisions.count)
        let recall = recalls.reduce(0, +) / Double(recalls.count)
        return (2 * precision * recall / (precision + recall), precision, recall)
    }

    struct CorpusError: Error, CustomStringConvertible { var description: String }

    /// Shingle counts compared: (true positives, false positives, false negatives), normalised to sum 1.
    static func match(truth: String, predicted: String) -> (Double, Double, Double) {
        let t = shingles(truth), p = shingles(predicted)
        var tp = 0, fp = 0, fn = 0
        for key in Set(t.keys).union(p.keys) {
            let a = t[key] ?? 0, b = p[key] ?? 0
            tp += min(a, b); fp += max(0, b - a); fn += max(0, a - b)
        }
        let total = Double(tp + fp + fn)
        return total > 0 ? (Double(tp) / total, Double(fp) / total, Double(fn) / total) : (0, 0, 0)
    }

    /// Runs of word characters (letters, digits, underscore: Python's `\w`), in 4-grams.
    static func shingles(_ text: String) -> [[String]: Int] {
        var tokens: [String] = []
        var word = String.UnicodeScalarView()
        let wordCategories: Set<Unicode.GeneralCategory> = [
            .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber, .letterNumber, .otherNumber,
        ]
        for scalar in text.unicodeScalars {
            if scalar == "_" || wordCategories.contains(scalar.properties.generalCategory) {
                word.append(scalar)
            } else if !word.isEmpty {
                tokens.append(String(word))
                word = String.UnicodeScalarView()
            }
        }
        if !word.isEmpty { tokens.append(String(word)) }
        var counts: [[String]: Int] = [:]
        for i in 0..<max(1, tokens.count - 3) where i < tokens.count {
            counts[Array(tokens[i..<min(tokens.count, i + 4)]), default: 0] += 1
        }
        return counts
    }
}
