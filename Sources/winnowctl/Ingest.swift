import ArgumentParser
import Foundation
import GRDB
import Logging
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowPipeline
import WinnowStore

/// `winnowctl ingest --db PATH FILE...`: pushes local documents through clean, dedup and store.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Push local text or HTML documents through clean, dedup and store; print each one's verdict.")

    @Option(name: .long, help: "The SQLite database to write (created when missing), or a postgresql://USER@HOST:PORT/DBNAME URL.")
    var db: String

    @Option(name: .long, help: "Use the cleaning rules and dedup parameters of this configuration.")
    var config: String?

    @Argument(help: "Text or HTML files.")
    var files: [String]

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        var file: String
        var articleID: Int64
        var status: String
        var clusterID: Int64
        var duplicateOf: Int64?
        var similarity: Double?
        var title: String?
        var removed: [Removal]

        enum CodingKeys: String, CodingKey {
            case file, status, similarity, title, removed
            case articleID = "article_id", clusterID = "cluster_id", duplicateOf = "duplicate_of"
        }
    }

    /// Files stored and run through the stages at a time: a dedup batch's worth, so ingest commits as
    /// the daemon does (one transaction per clean batch and per dedup batch), never one per document.
    static let chunk = StageRunner.dedupBatch

    func run() throws {
        let configuration = try config.map { try loadConfiguration($0) }
        let (store, lock) = try openStageStore(db)
        defer { withExtendedLifetime(lock) {} }
        let deduplicator = Deduplicator(parameters: configuration?.dedup ?? DedupParameters())
        try store.checkDedupParameters(deduplicator)
        let stages = StageRunner(store: store, defaultCleaner: try Cleaner(rules: configuration?.cleaningRules ?? BoilerplateRule.defaults),
                                 deduplicator: deduplicator, canonical: configuration?.canonical ?? CanonicalPolicy(),
                                 learning: configuration?.learning ?? LearnedBoilerplate(),
                                 logger: Logger(label: "winnowctl", factory: { _ in SwiftLogNoOpLogHandler() }))
        // A file that cannot be read (missing, empty, binary) is reported and stores nothing; the others
        // are still ingested, and the exit status is the first failure's.
        var failures = FileFailures()
        if json { print("[", terminator: "") }
        var first = true
        for start in stride(from: 0, to: files.count, by: Self.chunk) {
            let chunk = Array(files[start..<min(start + Self.chunk, files.count)])
            // Each ingest is a new item: ingesting a file twice is how one finds its exact duplicate.
            // In the chunk's order, each file's failure or its place among the texts stored (a file
            // named twice is stored twice, so it is looked up by place, never by name).
            var texts: [(file: String, text: String)] = []
            var entries: [Result<Int, FileFailure>] = []
            for file in chunk {
                do {
                    texts.append((file, try readDocument(file)))
                    entries.append(.success(texts.count - 1))
                } catch {
                    entries.append(.failure(failures.record(error, file: file)))
                }
            }
            let raw = try store.addLocalItems(texts.map { FeedItem(guid: "ingest:\(UUID().uuidString)", link: nil, content: $0.text) })
            var outputs = Dictionary(uniqueKeysWithValues: zip(raw, texts).map { ($0.id, Output(file: $1.file, articleID: 0, status: "", clusterID: 0, removed: [])) })
            // The same stage runner and batches as the daemon; items another run left queued go through too.
            while true {
                let step = try stages.drainStep()
                if step.isEmpty { break }
                for cleaned in step.cleaned where outputs[cleaned.rawItemID] != nil {
                    outputs[cleaned.rawItemID]!.title = cleaned.document.title
                    outputs[cleaned.rawItemID]!.removed = cleaned.document.removed
                }
                for (article, result) in step.stored where outputs[article.rawItemID] != nil {
                    outputs[article.rawItemID]!.articleID = result.articleID
                    outputs[article.rawItemID]!.status = result.status.rawValue
                    outputs[article.rawItemID]!.clusterID = result.clusterID
                    outputs[article.rawItemID]!.duplicateOf = result.duplicateOf
                    outputs[article.rawItemID]!.similarity = result.similarity
                }
            }
            for entry in entries {
                let result: FileResult<Output>
                switch entry {
                case .failure(let failure): result = .failure(failure)
                case .success(let index): result = .success(outputs[raw[index].id]!)
                }
                if json {
                    print((first ? "\n" : ",\n") + (try Self.encoded(result)), terminator: "")
                    first = false
                    continue
                }
                guard case .success(let o) = result else { continue }
                var line = "\(o.file): article \(o.articleID) \(o.status), cluster \(o.clusterID)"
                if let of = o.duplicateOf { line += ", duplicate of article \(of)" }
                if let s = o.similarity { line += String(format: " (similarity %.2f)", s) }
                print(line)
                for removal in o.removed { print("    removed [\(removal.ruleID)] \(ellipsize(removal.text, 90))") }
            }
        }
        if json { print(first ? "]" : "\n]") }
        try failures.exit()
    }

    static func encoded(_ output: FileResult<Output>) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
