import ArgumentParser
import Foundation
import GRDB
import WinnowPipeline
import WinnowPostgres
import WinnowStore

/// `winnowctl migrate --from state/winnow.sqlite --to postgresql://...`: copies a SQLite store into
/// PostgreSQL, table by table in key order, a batch a transaction; run again after a kill, it goes on
/// from the last committed batch (see PostgresStore+Migration).
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Copy a SQLite store into a new PostgreSQL database (resumable: run it again after an interruption).")

    @Option(name: .long, help: "The SQLite database to copy (winnowd must not be running on it).")
    var from: String

    @Option(name: .long, help: "The PostgreSQL database to copy into: postgresql://USER@HOST:PORT/DBNAME (new, or one this migration began).")
    var to: String

    @Option(name: .long, help: .hidden)
    var batchRows = 1000

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        var from: String
        var to: String
        /// "done", or "already done" when an earlier run had finished it.
        var state: String
        var rows: [String: Int]
        var seconds: Double
        var webhookDeliveriesLeft: Int

        enum CodingKeys: String, CodingKey {
            case from, to, state, rows, seconds
            case webhookDeliveriesLeft = "webhook_deliveries_left"
        }
    }

    func validate() throws {
        guard PostgresURL.isPostgres(to) else {
            throw ValidationError("--to takes a postgresql://USER@HOST:PORT/DBNAME URL, not \(PostgresURL.redacted(to))")
        }
        guard !PostgresURL.isPostgres(from) else { throw ValidationError("--from takes the SQLite database file to copy, not a URL") }
        guard batchRows > 0 else { throw ValidationError("--batch-rows must be at least 1") }
    }

    func run() throws {
        let started = Date()
        let source = try openSource()
        // A running winnowd would go on writing the file while it is copied.
        let lock = try DatabaseLock(databasePath: from)
        defer { withExtendedLifetime(lock) {} }
        let display = PostgresURL.redacted(to)
        let fingerprint = try source.migrationFingerprint()
        let (target, state) = try PostgresStore.openMigrationTarget(url: to, source: fingerprint, from: from)
        let owed = try source.webhookDeliveriesOwed()
        let progress = try target.migrationProgress()
        var copied = progress.compactMapValues { $0.rows }.filter { MigratedTable(rawValue: $0.key) != nil }
        if state != .finished {
            let tables = MigratedTable.allCases
            var totals: [MigratedTable: Int] = [:]
            for table in tables { totals[table] = try source.migrationRowCount(table) }
            let bar = Progress(total: totals.values.reduce(0, +), label: "migrate")
            var done = tables.reduce(0) { $0 + (progress[$1.rawValue]?.rows ?? 0) }
            bar.update(done)
            let killAfter = ProcessInfo.processInfo.environment["WINNOW_MIGRATE_KILL_AFTER_BATCHES"].flatMap(Int.init)
            var batches = 0
            for table in tables {
                var cursor = progress[table.rawValue]?.cursor
                if progress[table.rawValue]?.done == true { continue }
                bar.label = "migrate \(table.rawValue)"
                let types = try target.migrationColumnTypes(table)
                while true {
                    let batch = try source.migrationRows(table, after: cursor, limit: batchRows * (table.columns.count <= 2 ? 20 : 1))
                    guard let next = batch.cursor else { break }
                    batches += 1
                    try target.copyMigrationBatch(table, types: types, rows: batch.rows, cursor: next) {
                        // A test's stand-in for a kill at the worst moment: rows sent, not committed.
                        if let killAfter, batches > killAfter { kill(getpid(), SIGKILL) }
                    }
                    cursor = next
                    done += batch.rows.count
                    copied[table.rawValue, default: 0] += batch.rows.count
                    bar.update(done)
                }
                try target.finishMigrationTable(table)
            }
            try target.finishMigration()
            bar.label = "migrate"
            bar.update(done)
            bar.finish()
        }
        // Bucket rows come from three SQLite tables into one.
        var rows: [String: Int] = [:]
        for (name, count) in copied { rows[MigratedTable(rawValue: name)?.target ?? name, default: 0] += count }
        let seconds = Date().timeIntervalSince(started)
        if json {
            return try printJSON(Output(from: from, to: display, state: state == .finished ? "already done" : "done", rows: rows,
                                        seconds: (seconds * 10).rounded() / 10, webhookDeliveriesLeft: owed))
        }
        if state == .finished {
            print("\(from) was migrated into \(display) already: nothing to do")
        } else {
            let counts = try target.counts()
            print("migrated \(from) into \(display) in \(String(format: "%.1f", seconds)) s: \(counts.raw) items, \(counts.articles) articles in \(counts.clusters) clusters, \(rows["lsh_buckets"] ?? 0) bucket rows")
        }
        if owed > 0 {
            FileHandle.standardError.write(Data("winnowctl: note: \(owed) webhook deliveries owed by \(from) were not moved (the PostgreSQL store has no webhook outbox yet)\n".utf8))
        }
    }

    /// The SQLite store, checked: it exists (66), is a SQLite database (65) and Winnow's (65), and
    /// this build knows its schema (65); an older schema is brought up to date first, as winnowd does.
    func openSource() throws -> ArticleStore {
        let store = try openReadOnlyStore(from, option: "--from")
        let (unknown, pending) = try store.schemaState()
        if !unknown.isEmpty {
            throw CLIError(.dataError, "\(from) was written by a newer Winnow (its schema has \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")), which this winnowctl \(WinnowVersion.string) does not know): migrate it with a winnowctl as new as the winnowd that wrote it", input: from)
        }
        guard !pending.isEmpty else { return store }
        let lock = try DatabaseLock(databasePath: from)
        defer { withExtendedLifetime(lock) {} }
        do { return try ArticleStore.open(path: from) } catch let error as DatabaseError { throw CLIError.database(error, path: from, option: "--from") }
    }
}
