import ArgumentParser
import Foundation
import WinnowClean
import WinnowPipeline

/// `winnowctl clean FILE...`: shows what cleaning keeps and removes, writing nothing.
struct Clean: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Clean text or HTML files and show the result and each removed line with its rule. Writes nothing.")

    @Argument(help: "Text or HTML files.")
    var files: [String]

    @Option(name: .long, help: "Use the cleaning rules of this configuration (default: the shipped rules).")
    var config: String?

    @Flag(name: .long, help: "List every removed line beside the rule that removed it, the page around the article included.")
    var explain = false

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        var file: String
        var title: String?
        var author: String?
        /// The publication date the page states, as written.
        var published: String?
        var text: String
        var removed: [Removal]
    }

    func run() throws {
        let rules = try config.map { try PipelineConfiguration.load(path: $0).cleaningRules } ?? BoilerplateRule.defaults
        let cleaner = try Cleaner(rules: rules)
        let outputs = try files.map { file in
            let document = try cleanFile(file, with: cleaner)
            return Output(file: file, title: document.title, author: document.author, published: document.published, text: document.text, removed: document.removed)
        }
        if json { return try printJSON(outputs) }
        for output in outputs {
            print("== \(output.file)")
            print("title:  \(output.title ?? "-")")
            print("author: \(output.author ?? "-")")
            print("")
            print(output.text)
            print("")
            print("removed (\(output.removed.count)):")
            let width = min(34, output.removed.map(\.ruleID.count).max() ?? 0)
            for removal in output.removed {
                let rule = removal.ruleID.padding(toLength: max(width, removal.ruleID.count), withPad: " ", startingAt: 0)
                // Explaining shows each line whole; the overview keeps to one screen line each.
                print("  \(rule)  \(explain ? removal.text : ellipsize(removal.text, 100))")
            }
            print("")
        }
    }
}

extension Clean {
    /// A page is cleaned from its bytes, so its own `<meta charset>` decides how they are read (a Latin-1
    /// page read as UTF-8 loses every accented letter); plain text is read as UTF-8.
    func cleanFile(_ file: String, with cleaner: Cleaner) throws -> CleanedDocument {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read \(file): check that the file exists and is readable")
        }
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        if !data.isEmpty, Cleaner.looksLikeHTML(head) {
            return try data.withUnsafeBytes { try cleaner.clean(htmlBytes: $0, explain: explain) }
        }
        return cleaner.clean(document: String(decoding: data, as: UTF8.self), explain: explain)
    }
}

func ellipsize(_ text: String, _ length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
}
