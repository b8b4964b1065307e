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
struct Ingest: FileListCommand {
    static let configuration = CommandConfiguration(abstract: "Push local text or HTML documents through clean, dedup and store; print each one's verdict.")

    @Option(name: .long, help: "The SQLite database to write (created when missing), or a postgresql://USER@HOST:PORT/DBNAME URL.")
    var db: String

    @Option(name: .long, help: "Use the cleaning rules and dedup parameters of this configuration.")
    var config: String?

    @Argument(help: "Text or HTML files, or folders of them (every file inside, in path order).")
    var files: [String]

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    static let valueOptions: Set<String> = ["--db", "--config"]

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
    /// the daemon does (one transaction per stage and batch), never one per document.
    static let chunk = StageRunner.dedupBatch

    /// The chunk sizes for `count` files: whole chunks, then the last chunk's worth in halving parts
    /// (1,000, 500, 250, 250). The last chunk is deduplicated with nothing left to clean beside it, on
    /// one core: the smaller it is, the less of the run has the other core idle.
    static func chunkSizes(_ count: Int) -> [Int] {
        var sizes = Array(repeating: chunk, count: max(0, count - chunk) / chunk)
        var rest = count - sizes.count * chunk
        while rest > 0 {
            let part = rest > chunk / 4 ? max(chunk / 4, rest / 2) : rest
            sizes.append(part)
            rest -= part
        }
        return sizes
    }

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
        var printer = Printer(json: json)
        var outputs: [Int64: Output] = [:]  // by stage-1 item
        var waiting: [[Result<Int64, FileFailure>]] = []  // chunks waiting for verdicts: each file's failure or its item

        func take(_ step: StageRunner.Step) {
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
            flush()
        }
        // Chunks are printed in order, each once all its files have their verdict.
        func flush() {
            while let chunk = waiting.first, chunk.allSatisfy({ (try? $0.get()).map { outputs[$0]!.status != "" } ?? true }) {
                for entry in chunk {
                    switch entry {
                    case .failure(let failure): printer.print(.failure(failure))
                    case .success(let id): printer.print(.success(outputs.removeValue(forKey: id)!))
                    }
                }
                waiting.removeFirst()
            }
        }

        // Each chunk's files are read and checked on other threads while the one before goes through the stages.
        let chunks = Self.chunkSizes(files.count).reduce(into: [[String]]()) { chunks, size in
            let start = chunks.reduce(0) { $0 + $1.count }
            chunks.append(Array(files[start..<start + size]))
        }
        func reading(_ index: Int) -> Background<[Result<String, any Error>]>? {
            guard index < chunks.count else { return nil }
            let chunk = chunks[index]
            return Background(lowPriority: true) { StageRunner.parallelMap(chunk) { file in Result { try readDocument(file) } } }
        }
        var next = reading(0)
        // Each ingest is a new item: ingesting a file twice is how one finds its exact duplicate (a file
        // named twice is stored twice, so it is looked up by its item, never by name). Guids are this
        // run's random id and a zero-padded count: unique, and in order, so stage 1's (feed, guid) index
        // grows at its end. A random id per document put each insert on a random page of that index,
        // rewriting a 16 KB page per document, and cost three system calls (/dev/urandom) each.
        let run = "ingest:" + UUID().uuidString.lowercased() + ":"
        var counted = 0
        func nextGuid() -> String {
            counted += 1
            let digits = String(counted)
            return run + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
        }
        // Stores a chunk's files in stage 1 (those that could be read) and notes where each verdict goes.
        func enqueue(_ index: Int) throws {
            let chunk = chunks[index]
            let read = next!.wait()
            next = reading(index + 1)
            // Failures are reported in the command line's order.
            var texts: [(file: String, text: String)] = []
            var places: [Result<Int, FileFailure>] = []
            for (file, result) in zip(chunk, read) {
                switch result {
                case .success(let text): texts.append((file, text)); places.append(.success(texts.count - 1))
                case .failure(let error): places.append(.failure(failures.record(error, file: file)))
                }
            }
            let raw = try store.addLocalItems(texts.map { FeedItem(guid: nextGuid(), link: nil, content: $0.text) })
            for (item, text) in zip(raw, texts) { outputs[item.id] = Output(file: text.file, articleID: 0, status: "", clusterID: 0, removed: []) }
            waiting.append(places.map { $0.map { raw[$0].id } })
        }
        if !chunks.isEmpty { try enqueue(0) }
        for index in chunks.indices {
            // The next chunk is in stage 1 before this step, so the step cleans it while it saves this
            // one; the chunk after is read meanwhile.
            if index + 1 < chunks.count { try enqueue(index + 1) }
            // The same stage runner and steps as the daemon: this chunk is cleaned while the last one's
            // articles are deduplicated. Items another run left queued go through too.
            take(try stages.drainStep())
        }
        while true {
            let step = try stages.drainStep()
            if step.isEmpty { break }
            take(step)
        }
        flush()
        printer.finish()
        try failures.exit()
    }

    /// Prints each file's verdict as it comes: a line (and its removals) each, or one JSON array.
    struct Printer {
        let json: Bool
        var first = true

        mutating func print(_ result: FileResult<Output>) {
            if json {
                Swift.print((first ? "[\n" : ",\n") + ((try? Ingest.encoded(result)) ?? "{}"), terminator: "")
                first = false
                return
            }
            guard case .success(let o) = result else { return }
            var line = "\(o.file): article \(o.articleID) \(o.status), cluster \(o.clusterID)"
            if let of = o.duplicateOf { line += ", duplicate of article \(of)" }
            if let s = o.similarity { line += String(format: " (similarity %.2f)", s) }
            Swift.print(line)
            for removal in o.removed { Swift.print("    removed [\(removal.ruleID)] \(ellipsize(removal.text, 90))") }
        }

        func finish() {
            if json { Swift.print(first ? "[]" : "\n]") }
        }
    }

    static func encoded(_ output: FileResult<Output>) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
