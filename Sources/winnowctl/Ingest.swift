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

    @Option(name: .long, help: "The SQLite database to write (created when missing).")
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

    func run() throws {
        let configuration = try config.map { try loadConfiguration($0) }
        let lock = try DatabaseLock(databasePath: db)
        defer { withExtendedLifetime(lock) {} }
        let store: ArticleStore
        do { store = try ArticleStore.open(path: db) } catch let error as DatabaseError { throw CLIError.database(error, path: db) }
        let deduplicator = Deduplicator(parameters: configuration?.dedup ?? DedupParameters())
        try store.checkDedupParameters(deduplicator)
        let stages = StageRunner(store: store, defaultCleaner: try Cleaner(rules: configuration?.cleaningRules ?? BoilerplateRule.defaults),
                                 deduplicator: deduplicator, canonical: configuration?.canonical ?? CanonicalPolicy(), logger: Logger(label: "winnowctl", factory: { _ in SwiftLogNoOpLogHandler() }))
        // A file that cannot be read (missing, empty, binary) is reported and stores nothing; the others
        // are still ingested, and the exit status is the first failure's.
        var failures = FileFailures()
        var outputs: [FileResult<Output>] = []
        for file in files {
            let text: String
            do { text = try readDocument(file) } catch {
                outputs.append(.failure(failures.record(error, file: file)))
                continue
            }
            // Each ingest is a new item: ingesting a file twice is how one finds its exact duplicate.
            let item = FeedItem(guid: "ingest:\(UUID().uuidString)", link: nil, content: text)
            let (cleanID, document) = try stages.clean(try store.addLocalItem(item))
            guard let pending = try store.cleanArticle(id: cleanID) else { continue }
            let result = try store.deduplicate(pending, with: deduplicator, policy: configuration?.canonical ?? CanonicalPolicy())
            outputs.append(.success(Output(file: file, articleID: result.articleID, status: result.status.rawValue, clusterID: result.clusterID,
                                           duplicateOf: result.duplicateOf, similarity: result.similarity, title: document.title,
                                           removed: document.removed)))
        }
        if json {
            try printJSON(outputs)
            return try failures.exit()
        }
        for case .success(let o) in outputs {
            var line = "\(o.file): article \(o.articleID) \(o.status), cluster \(o.clusterID)"
            if let of = o.duplicateOf { line += ", duplicate of article \(of)" }
            if let s = o.similarity { line += String(format: " (similarity %.2f)", s) }
            print(line)
            for removal in o.removed { print("    removed [\(removal.ruleID)] \(ellipsize(removal.text, 90))") }
        }
        try failures.exit()
    }
}
