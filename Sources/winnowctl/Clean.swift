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
        var text: String
        var removed: [Removal]
    }

    func run() throws {
        let rules = try config.map { try PipelineConfiguration.load(path: $0).cleaningRules } ?? BoilerplateRule.defaults
        let cleaner = try Cleaner(rules: rules)
        let outputs = try files.map { file in
            let document = cleaner.clean(document: try readDocument(file), explain: explain)
            return Output(file: file, title: document.title, author: document.author, text: document.text, removed: document.removed)
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

func ellipsize(_ text: String, _ length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
}
