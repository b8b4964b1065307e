import ArgumentParser
import Foundation
import Logging
import WinnowClean
import WinnowDedup
import WinnowPipeline
import WinnowPostgres
import WinnowStore

/// `winnowctl reprocess --from clean|dedup`: rebuilds the later stages from the stored earlier one,
/// after a cleaning-rule or dedup-parameter change.
struct Reprocess: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rebuild stages from stored raw items (--from clean) or cleaned articles (--from dedup).")

    enum Stage: String, ExpressibleByArgument, CaseIterable { case clean, dedup }

    @Option(name: .long, help: "The first stage to rebuild: clean or dedup.")
    var from: Stage

    @Option(name: .long, help: "The configuration whose database, rules and parameters to use.")
    var config = "pipeline.json"

    @Option(name: .long, help: "The database to rebuild instead of the configuration's: a SQLite file, or a postgresql://USER@HOST:PORT/DBNAME URL.")
    var db: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        var from: String
        /// "done" when rebuilt here; "started" when handed to the running daemon (progress is in its log).
        var state: String
        var before: StageCounts?
        var after: StageCounts?
        var message: String?
    }

    func run() throws {
        if let db, PostgresURL.isPostgres(db) { return try rebuildShared(db) }
        var configuration = try loadConfiguration(config)
        if let db { configuration.databasePath = db }
        // A configuration naming a PostgreSQL database is rebuilt there, as with --db URL.
        if configuration.isPostgres { return try rebuildShared(configuration.databasePath) }
        // The daemon holds this lock while it runs: rebuilding under it would race its writes, so the
        // running daemon is asked to do it instead.
        let lock: DatabaseLock
        do {
            lock = try DatabaseLock(databasePath: configuration.databasePath)
        } catch let held as DatabaseLock.Held {
            guard let response = try? ControlClient.send(ControlRequest(command: "reprocess", from: from.rawValue), to: configuration.controlSocketPath),
                  response.ok else { throw held }
            if json { return try printJSON(Output(from: from.rawValue, state: "started", message: response.message)) }
            print(response.message ?? "reprocessing")
            return
        }
        defer { withExtendedLifetime(lock) {} }
        let store = try ArticleStore.open(path: configuration.databasePath)
        try rebuild(store, before: try store.counts(), reset: { try store.resetStages(includingClean: from == .clean) }) {
            try StageRunner(configuration: configuration, store: store, logger: Self.quiet)
        }
    }

    static let quiet = Logger(label: "winnowctl", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Rebuilds a PostgreSQL store with the same stage runner. No lock: other processes sharing the
    /// store keep working, and take their share of the queued rows with their own configuration (stop
    /// them first for a rebuild with this one's). Without a configuration file, the default rules and
    /// parameters are used (as `ingest` does); the configuration's feeds are not registered.
    func rebuildShared(_ url: String) throws {
        let configuration = FileManager.default.fileExists(atPath: config) ? try loadConfiguration(config) : nil
        let store = try PostgresStore.openExisting(url: url, migrating: true)
        try rebuild(store, before: try store.counts(), reset: { try store.resetStages(includingClean: from == .clean) }) {
            guard let configuration else {
                let deduplicator = Deduplicator(parameters: DedupParameters())
                try store.checkDedupParameters(deduplicator)
                return StageRunner(store: store, defaultCleaner: try Cleaner(rules: BoilerplateRule.defaults), deduplicator: deduplicator, logger: Self.quiet)
            }
            return try StageRunner(configuration: configuration, store: store, registeringFeeds: false, logger: Self.quiet)
        }
    }

    /// Empties the stages (`reset`), then runs the stage runner `makeRunner` gives (made after the
    /// reset, which forgets the stored dedup parameters) until nothing is queued.
    func rebuild(_ store: any InspectionStore, before: StageCounts, reset: () throws -> Void, makeRunner: () throws -> StageRunner) throws {
        try reset()
        let stages = try makeRunner().reprocessing()
        let total = from == .clean ? before.raw : before.clean
        let progress = Progress(total: total, label: from == .clean ? "clean + dedup" : "dedup")
        var done = 0
        while true {
            let step = try stages.drainStep()
            if step.isEmpty { break }
            done += step.stored.count
            progress.update(done)
        }
        progress.finish()
        let after = try store.counts()
        if json { return try printJSON(Output(from: from.rawValue, state: "done", before: before, after: after)) }
        print("reprocessed from \(from.rawValue): \(after.articles) articles in \(after.clusters) clusters, \(after.duplicates) duplicates (before: \(before.articles) articles, \(before.duplicates) duplicates)")
    }
}

/// A progress bar on a terminal, progress lines otherwise (for logs).
final class Progress {
    let total: Int
    var label: String
    let terminal = isatty(STDERR_FILENO) != 0
    var lastLine = Date.distantPast
    var done = 0
    var printed: Int?

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    /// On a terminal the line is redrawn in place (and cleared past its end: a label can get shorter).
    func update(_ done: Int) {
        let fraction = min(1, Double(done) / Double(total))
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            FileHandle.standardError.write(Data("\r\(label) [\(String(repeating: "=", count: filled))\(String(repeating: " ", count: width - filled))] \(done)/\(total)\u{1B}[K".utf8))
        } else if Date().timeIntervalSince(lastLine) >= 2 {
            lastLine = Date()
            printed = done
            FileHandle.standardError.write(Data("\(label): \(done)/\(total) (\(Int(fraction * 100))%)\n".utf8))
        }
        self.done = done
    }

    /// Ends the bar; a log gets the final count, whenever the last line was.
    func finish() {
        if terminal {
            FileHandle.standardError.write(Data("\n".utf8))
        } else if printed != done {
            lastLine = .distantPast
            update(done)
        }
    }
}
