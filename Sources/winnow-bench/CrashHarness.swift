import ArgumentParser
import Foundation
import Synchronization
import WinnowDedup
import WinnowStore
import WinnowTestSupport

/// The crash harness: winnowd polls a local server that publishes continuously (some feeds republish
/// others' articles under other boilerplate, so dedup has clusters to build) and is killed with SIGKILL
/// at random moments, again and again: first within milliseconds of its first start (during the
/// migrations), then anywhere in fetches and stage transactions. Then publishing stops, one clean
/// `--once` run finishes the work, and the database is checked: integrity, every published item stored
/// exactly once, every stage consistent, every republished copy in its original's cluster. Exits
/// non-zero on any failure.
struct CrashHarness: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash", abstract: "Kill winnowd with SIGKILL again and again; check nothing is lost or doubled.")

    @Option(name: .long, help: "The winnowd binary.") var winnowd = ".build/release/winnowd"
    @Option(name: .long, help: "How many times winnowd is killed.") var kills = 100
    @Option(name: .long, help: "Feeds on the local server; every third republishes the one before it.") var feeds = 12
    @Option(name: .long, help: "Seed of the kill schedule.") var seed: UInt64 = 1
    @Option(name: .long, help: "Extra kills of a first start, each on a fresh database, during its migrations.")
    var migrationKills = 30

    /// What the server has published: the item count of each feed, frozen at the end.
    struct Publisher {
        var started = Date().timeIntervalSince1970
        var frozenAt: Double?
        var inFlight = 0
        /// Items a feed has published by `time`: 100 at once, then 15 a second.
        func count(at time: Double) -> Int { 100 + Int(((frozenAt ?? time) - started) * 15) }
    }

    /// A feed document lists a feed's newest items only, as real feeds do: wide enough that a daemon
    /// that is back within a few seconds misses nothing.
    static let window = 600

    func run() throws {
        let winnowd = URL(fileURLWithPath: self.winnowd).standardizedFileURL.path
        guard FileManager.default.isExecutableFile(atPath: winnowd) else {
            throw ValidationError("\(winnowd) is not an executable: build it first (swift build -c release --product winnowd)")
        }
        let feedCount = feeds
        let publisher = Mutex(Publisher())
        let server = try LoopbackHTTPServer { request in
            guard request.path.hasPrefix("/feed-"), let n = Int(request.path.dropFirst(6)), n < feedCount else { return HTTPResponse(status: 404, text: "") }
            let count = publisher.withLock { p in p.inFlight += 1; return p.count(at: Date().timeIntervalSince1970) }
            defer { publisher.withLock { $0.inFlight -= 1 } }
            // Some answers are slow, so kills also land while fetches are in flight.
            if n % 4 == 1 { Thread.sleep(forTimeInterval: 0.15) }
            return HTTPResponse(text: articleFeed(n, of: n % 3 == 2 ? n - 1 : n, items: max(0, count - Self.window)..<count))
        }
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = (0..<feeds).map { #"{"name": "feed-\#($0)", "url": "\#(server.baseURL)/feed-\#($0)", "interval": "1s"}"# }
        let config = folder.appendingPathComponent("pipeline.json")
        try """
            {"database": "winnow.sqlite", "logs": {"folder": "logs"},
             "fetch": {"concurrency": 4, "per_host_connections": 4, "per_host_gap": "0.001s", "timeout": "10s"},
             "feeds": [\(list.joined(separator: ",\n"))]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let database = folder.appendingPathComponent("winnow.sqlite").path

        print("crash harness: \(kills) SIGKILLs of \(winnowd), \(feeds) feeds publishing 15 items a second each, seed \(seed)")
        if migrationKills > 0 { try killFirstStarts(winnowd: winnowd, config: config, folder: folder) }
        var random = SplitMix(seed: seed)
        var moments: [Moment] = []
        let started = Date()
        for round in 0..<kills {
            let daemon = try launch(winnowd, ["--config", config.path], in: folder)
            // Anywhere in the first 1.5 s: start-up, fetches, stage transactions, or between cycles.
            Thread.sleep(forTimeInterval: 0.02 + random.unit() * 1.5)
            let fetching = publisher.withLock { $0.inFlight } > 0
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            guard daemon.terminationReason == .uncaughtSignal else {
                throw ValidationError("round \(round): winnowd exited by itself (status \(daemon.terminationStatus)) before it was killed; see \(folder.path)/logs")
            }
            moments.append(Self.moment(database: database, fetching: fetching))
        }
        let killing = Date().timeIntervalSince(started)
        let published = publisher.withLock { p -> Int in
            p.frozenAt = Date().timeIntervalSince1970
            return p.count(at: p.frozenAt!)
        }
        print("  \(kills) kills in \(format(killing, 1)) s; where they landed (the state seen right after each):")

        // Publishing has stopped: one clean run takes in what is left and finishes every stage.
        let finish = try launch(winnowd, ["--config", config.path, "--once"], in: folder)
        finish.waitUntilExit()
        guard finish.terminationStatus == 0 else { throw ValidationError("the clean run after the kills failed (status \(finish.terminationStatus))") }

        let store = try ArticleStore.openReadOnly(path: database)
        let migrations = try store.migrationCount()
        var landed: [String: Int] = [:]
        for moment in moments { landed[moment.describe(of: migrations), default: 0] += 1 }
        for (moment, count) in landed.sorted(by: { $0.key < $1.key }) { print("    \(moment): \(count)") }
        let counts = try store.counts()
        let expected = published * feeds
        let copies = (0..<feeds).filter { $0 % 3 == 2 }.count * published
        let report = try store.consistencyReport()
        var failures = report.problems(bands: Deduplicator().banding.bands)
        func check(_ ok: Bool, _ what: String) { if !ok { failures.append(what) } }
        check(counts.raw == expected, "stage 1 holds \(counts.raw) items; the server published \(expected)")
        check(report.distinctItems == expected, "some published item is missing or stored twice")
        check(counts.clean == expected && counts.articles == expected, "stages 2 and 3 hold \(counts.clean) and \(counts.articles) of \(expected)")
        check(report.queued == 0, "work is left in the stage queues")
        let pairs = try store.copiesInTheirOriginalsCluster(guidPrefix: "copy:")
        check(pairs == copies, "\(pairs) of \(copies) republished copies are in their original's cluster")
        check(counts.duplicates == copies, "\(counts.duplicates) duplicates found; \(copies) copies were published")

        print("  after a clean run: \(counts.raw) items in stage 1 (published: \(expected)), \(counts.clean) cleaned, \(counts.articles) articles, \(counts.clusters) clusters, \(counts.duplicates) duplicates (copies published: \(copies))")
        print("  items lost: \(max(0, expected - counts.raw)), stored twice: \(max(0, counts.raw - expected)); integrity_check: \(try store.integrityCheck())")
        if failures.isEmpty {
            print("  every check passed")
        } else {
            for failure in failures { print("  FAILED: \(failure)") }
            throw ExitCode(1)
        }
    }

    /// Kills first starts, each on a fresh database, within a few milliseconds of the database file
    /// appearing, so that they land inside the migrations; after each, opening the database (which runs what is left of
    /// the migrations) must succeed and pass `integrity_check`.
    func killFirstStarts(winnowd: String, config: URL, folder: URL) throws {
        var applied: [Int: Int] = [:]
        var total = 0
        var random = SplitMix(seed: seed &+ 99)
        for round in 0..<migrationKills {
            let fresh = folder.appendingPathComponent("first-start-\(round)")
            try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
            let freshConfig = fresh.appendingPathComponent("pipeline.json")
            try FileManager.default.copyItem(at: config, to: freshConfig)
            let database = fresh.appendingPathComponent("winnow.sqlite").path
            let daemon = try launch(winnowd, ["--config", freshConfig.path], in: fresh)
            // The migrations begin when the file appears and take a few milliseconds: watch for it, then
            // kill at a random moment just after.
            let deadline = Date().addingTimeInterval(5)
            while !FileManager.default.fileExists(atPath: database), Date() < deadline { usleep(100) }
            usleep(useconds_t(random.unit() * Double(round % 10 + 1) * 3000))
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
            let before = FileManager.default.fileExists(atPath: database)
                ? ((try? ArticleStore.openReadOnly(path: database).migrationCount()) ?? 0) : -1
            applied[before, default: 0] += 1
            let store = try ArticleStore.open(path: database)  // finishes the migrations
            guard try store.integrityCheck() == "ok", try store.countsAreConsistent() else {
                throw ValidationError("first start \(round): the database killed with \(before) migrations committed is damaged: \(database)")
            }
            total = try store.migrationCount()
            try? FileManager.default.removeItem(at: fresh)
        }
        let spread = applied.sorted { $0.key < $1.key }.map { $0.key < 0 ? "no database file yet: \($0.value)" : "\($0.key) of \(total) committed: \($0.value)" }
        print("  \(migrationKills) kills of a first start, each on a fresh database; migrations when killed: \(spread.joined(separator: ", ")); each database then opened, migrated and passed integrity_check")
    }

    /// What a kill interrupted, judged from the database right after it.
    enum Moment {
        case noDatabase
        case state(migrationsApplied: Int, fetching: Bool, pendingClean: Bool, pendingDedup: Bool)

        /// Its line in the report, given how many migrations a finished database has.
        func describe(of migrations: Int) -> String {
            switch self {
            case .noDatabase: return "a: before the database file was created"
            case .state(let applied, _, _, _) where applied < migrations: return "b: during the migrations (\(applied) of \(migrations) committed)"
            case .state(_, false, false, false): return "f: between cycles (nothing in flight or queued)"
            case .state(_, let fetching, let clean, let dedup):
                let parts = [fetching ? "fetches in flight" : nil, clean ? "items queued for cleaning" : nil, dedup ? "articles queued for dedup" : nil]
                return (clean ? "d: " : dedup ? "e: " : "c: ") + parts.compactMap { $0 }.joined(separator: ", ")
            }
        }
    }

    static func moment(database: String, fetching: Bool) -> Moment {
        guard FileManager.default.fileExists(atPath: database) else { return .noDatabase }
        let store = try? ArticleStore.openReadOnly(path: database)
        let applied = (try? store?.migrationCount()) ?? 0
        let counts = try? store?.counts()
        return .state(migrationsApplied: applied, fetching: fetching, pendingClean: (counts?.pendingClean ?? 0) > 0,
                      pendingDedup: (counts?.pendingDedup ?? 0) > 0)
    }
}
