import ArgumentParser
import Foundation
import WinnowClean
import WinnowPipeline

/// `winnowctl clean FILE...`: shows what cleaning keeps and removes, writing nothing.
struct Clean: FileListCommand {
    static let configuration = CommandConfiguration(abstract: "Clean text or HTML files and show the result and each removed line with its rule. Writes nothing.")

    @Argument(help: "Text or HTML files, or folders of them (every file inside, in path order).")
    var files: [String] = []

    @Flag(name: .long, help: "List the rules (id, category, kind) instead of cleaning: the ids `cleaning.disable` and --explain use.")
    var rules = false

    @Option(name: .long, help: "Use the cleaning rules of this configuration (default: the shipped rules).")
    var config: String?

    @Flag(name: .long, help: "List every removed line beside the rule that removed it, the page around the article included.")
    var explain = false

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    static let valueOptions: Set<String> = ["--config"]

    struct Output: Encodable {
        var file: String
        var title: String?
        var author: String?
        /// The publication date the page states, as written.
        var published: String?
        var text: String
        var removed: [Removal]
    }

    func validate() throws {
        if files.isEmpty && !rules { throw ValidationError("name the text or HTML files to clean, or pass --rules to list the rules") }
        if !files.isEmpty && rules { throw ValidationError("--rules lists the rules and cleans nothing: leave out the files") }
    }

    func run() throws {
        let ruleSet = try config.map { try loadConfiguration($0).cleaningRules } ?? BoilerplateRule.defaults
        if rules { return try listRules(ruleSet) }
        let cleaner = try Cleaner(rules: ruleSet)
        // A file that cannot be cleaned is reported and the others are still cleaned; the exit status is
        // the first failure's.
        var failures = FileFailures()
        var outputs: [FileResult<Output>] = []
        for file in files {
            do {
                let document = try cleanFile(file, with: cleaner)
                outputs.append(.success(Output(file: file, title: document.title, author: document.author, published: document.published,
                                               text: document.text, removed: document.removed)))
            } catch {
                outputs.append(.failure(failures.record(error, file: file)))
            }
        }
        if json {
            try printJSON(outputs)
            return try failures.exit()
        }
        for case .success(let output) in outputs {
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
        try failures.exit()
    }

    struct RuleRow: Encodable {
        var id: String
        var category: String
        var kind: String
    }

    /// The pattern rules of the configuration (or the shipped ones), then the structural rules the
    /// cleaner applies in code.
    func listRules(_ ruleSet: [BoilerplateRule]) throws {
        let structural = [StructuralRule.repeatedParagraph, StructuralRule.sectionLabel, StructuralRule.captionHeading,
                          StructuralRule.trailingTeasers, StructuralRule.htmlElement]
        let rows = ruleSet.map { RuleRow(id: $0.id, category: $0.category, kind: $0.kind.rawValue) }
            + structural.map { RuleRow(id: $0, category: String($0.split(separator: ".").first ?? ""), kind: "structural") }
        if json { return try printJSON(rows) }
        printTable(header: ["RULE", "CATEGORY", "KIND"], rows: rows.map { [$0.id, $0.category, $0.kind] })
        print("")
        print("\(rows.count) rules. Disable one with \"cleaning\": {\"disable\": [\"RULE\"]} in pipeline.json; see which removed what with winnowctl clean --explain FILE.")
    }
}

/// One file's result in a command over several files: its output, or why it failed.
enum FileResult<Output: Encodable>: Encodable {
    case success(Output)
    case failure(FileFailure)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .success(let output): try output.encode(to: encoder)
        case .failure(let failure): try failure.encode(to: encoder)
        }
    }
}

struct FileFailure: Encodable, Error {
    var file: String
    var error: String
    var exit_code: Int32
}

/// The failures of a command over several files: each one reported on standard error as it happens
/// (in text mode), the first one's exit status at the end.
struct FileFailures {
    var first: CLIError?

    mutating func record(_ error: any Error, file: String) -> FileFailure {
        let failure = CLIError.from(error)
        if first == nil { first = failure }
        if !CommandRunner.wantsJSON { FileHandle.standardError.write(Data("winnowctl: \(failure.message)\n".utf8)) }
        return FileFailure(file: file, error: failure.message, exit_code: failure.status.rawValue)
    }

    /// Exits with the first failure's status (the messages were given already), or returns when all went well.
    func exit() throws {
        if let first { throw ExitCode(first.status.rawValue) }
    }
}

extension Clean {
    /// A page is cleaned from its bytes, so its own `<meta charset>` decides how they are read (a Latin-1
    /// page read as UTF-8 loses every accented letter); plain text is read as UTF-8.
    func cleanFile(_ file: String, with cleaner: Cleaner) throws -> CleanedDocument {
        let data = try readDocumentData(file)
        if data.withUnsafeBytes({ Cleaner.looksLikeHTML(bytes: $0) }) {
            return try data.withUnsafeBytes { try cleaner.clean(htmlBytes: $0, explain: explain) }
        }
        return cleaner.clean(document: String(decoding: data, as: UTF8.self), explain: explain)
    }
}

func ellipsize(_ text: String, _ length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
}
