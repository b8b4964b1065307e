import ArgumentParser
import Foundation
import Logging
import WinnowClean
import WinnowDedup
import WinnowPipeline
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
        let configuration = try loadConfiguration(config)
        // A configuration may now name a PostgreSQL database (winnowd runs there); reprocess does not yet.
        guard !configuration.isPostgres else {
            throw CLIError(.config, "config: database: reprocess does not run on a postgresql:// database yet (docs/scale-out.md)", input: configuration.configPath)
        }
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
        let before = try store.counts()
        try store.resetStages(includingClean: from == .clean)
        let stages = try StageRunner(configuration: configuration, store: store,
                                     logger: Logger(label: "winnowctl", factory: { _ in SwiftLogNoOpLogHandler() })).reprocessing()
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
    let label: String
    let terminal = isatty(STDERR_FILENO) != 0
    var lastLine = Date.distantPast
    var done = 0
    var printed: Int?

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    func update(_ done: Int) {
        let fraction = min(1, Double(done) / Double(total))
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            FileHandle.standardError.write(Data("\r\(label) [\(String(repeating: "=", count: filled))\(String(repeating: " ", count: width - filled))] \(done)/\(total)".utf8))
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
