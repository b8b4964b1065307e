import ArgumentParser
import Foundation
import Synchronization
import WinnowDedup
import WinnowFeeds
import WinnowPostgres
import WinnowTestSupport

/// One full poll cycle of the real winnowd over many feeds on a local server: the server answers for
/// `--hosts` host names under .localhost (libcurl resolves them to 127.0.0.1 itself, so nothing leaves
/// the machine), checks the per-host limits on every request and reports any violation. With
/// `--postgres "1 2 3"`, the same cycles follow on a throw-away PostgreSQL cluster with 1, 2 and 3
/// daemons started together on one configuration (a fresh database each), the limits checked across them.
struct PollCycleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll-cycle", abstract: "One poll cycle of winnowd over many feeds on a local server.")

    @Option(name: .long, help: "Feeds.") var feeds = 10_000
    @Option(name: .long, help: "Host names the feeds are spread over.") var hosts = 100
    @Option(name: .long, help: "fetch.concurrency of the benchmark configuration.") var concurrency = 32
    @Option(name: .long, help: "fetch.per_host_connections of the benchmark configuration.") var perHost = 2
    @Option(name: .long, help: "fetch.per_host_gap, in seconds.") var gap = 0.02
    @Option(name: .long, help: "Seconds the server takes per request (so overlapping requests are seen).") var serviceTime = 0.002
    @Option(name: .long, help: "The winnowd binary.") var winnowd = ".build/release/winnowd"
    @Option(name: .long, help: "Seconds of idle daemon to measure CPU over (0: skip).") var idleSeconds = 10.0
    @Option(name: .long, help: "After the SQLite run, PostgreSQL runs with these numbers of daemons, e.g. \"1 2 3\" (empty: none).")
    var postgres = ""

    /// What the server saw: requests per host in flight, request starts, and violations of the limits.
    struct Ledger {
        var inFlight: [String: Int] = [:]
        /// Each host's request arrivals, as the kernel stamped them (handlers run in any order).
        var arrivals: [String: [Double]] = [:]
        var requests = 0, statuses: [Int: Int] = [:]
        var overConnections = 0, peakPerHost = 0

        /// Gaps between consecutive arrivals at one host, over all hosts.
        var gaps: [Double] {
            arrivals.values.flatMap { times -> [Double] in
                let sorted = times.sorted()
                return zip(sorted.dropFirst(), sorted).map { $0 - $1 }
            }
        }
    }

    func run() throws {
        let winnowd = URL(fileURLWithPath: self.winnowd).standardizedFileURL.path  // the runs start in their own folder
        guard FileManager.default.isExecutableFile(atPath: winnowd) else {
            throw ValidationError("\(winnowd) is not an executable: build it first (swift build -c release --product winnowd)")
        }
        let phase = Atomic<Int>(1)
        let ledger = Mutex(Ledger())
        let gap = self.gap, serviceTime = self.serviceTime, perHost = self.perHost
        let server = try LoopbackHTTPServer { request in
            let host = request.headers["host"] ?? "?"
            ledger.withLock { l in
                l.requests += 1
                l.inFlight[host, default: 0] += 1
                l.peakPerHost = max(l.peakPerHost, l.inFlight[host]!)
                if l.inFlight[host]! > perHost { l.overConnections += 1 }
                l.arrivals[host, default: []].append(request.arrival)
            }
            Thread.sleep(forTimeInterval: serviceTime)
            let response = Self.answer(path: request.path, ifNoneMatch: request.headers["if-none-match"], phase: phase.load(ordering: .relaxed))
            ledger.withLock { l in
                l.inFlight[host, default: 1] -= 1
                l.statuses[response.status, default: 0] += 1
            }
            return response
        }
        defer { server.stop() }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-poll-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = (0..<feeds).map { n in
            #"{"name": "feed-\#(n)", "url": "http://h\#(n % hosts).localhost:\#(server.port)/feed-\#(n)", "interval": "1h"}"#
        }.joined(separator: ",\n")
        let config = try writeConfig(in: folder, name: "pipeline", database: "winnow.sqlite", feeds: list)

        print("\(feeds) feeds over \(hosts) hosts (*.localhost, all 127.0.0.1:\(server.port)); concurrency \(concurrency), per host \(perHost) connections, \(format(gap * 1000)) ms apart")
        print("== SQLite, 1 daemon")
        try cycles([config], folder: folder, phase: phase, ledger: ledger)

        let counts = postgres.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap { Int($0) }
        if !counts.isEmpty {
            let cluster = try PostgresServer.start()
            defer { cluster.stop() }
            for daemons in counts {
                let database = try cluster.createDatabase("poll\(daemons)")
                let configs = try (0..<daemons).map { try writeConfig(in: folder, name: "pg\(daemons)-\($0)", database: database, feeds: list) }
                print("== PostgreSQL, \(daemons) daemon\(daemons == 1 ? "" : "s") started together (a fresh database on a throw-away cluster, fsync off)")
                try cycles(configs, database: database, folder: folder, phase: phase, ledger: ledger)
            }
        }

        guard idleSeconds > 0 else { return }
        // Every feed was just polled with a 1 h interval: the daemon has nothing to do until then.
        ledger.withLock { $0 = Ledger() }
        let daemon = try launch(winnowd, ["--config", config.path], in: folder)
        defer { if daemon.isRunning { daemon.terminate(); daemon.waitUntilExit() } }
        Thread.sleep(forTimeInterval: 3)  // start-up: migrations, registering the feeds
        let before = cpuSeconds(ofProcess: daemon.processIdentifier)
        Thread.sleep(forTimeInterval: idleSeconds)
        let after = cpuSeconds(ofProcess: daemon.processIdentifier)
        print("idle daemon, \(feeds) feeds none due: \(format(after - before, 2)) CPU s over \(format(idleSeconds)) s, \(ledger.withLock { $0.requests }) requests sent from its start")
    }

    /// A configuration of the feeds, its log in `logs-NAME`.
    func writeConfig(in folder: URL, name: String, database: String, feeds: String) throws -> URL {
        let config = folder.appendingPathComponent("\(name).json")
        try """
            {"database": "\(database)", "logs": {"folder": "logs-\(name)"}, "metrics": {"textfile": ""}, "control": {"socket": "\(name).sock"},
             "fetch": {"concurrency": \(concurrency), "per_host_connections": \(perHost), "per_host_gap": "\(gap)s", "timeout": "10s"},
             "feeds": [\(feeds)]}
            """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    /// Two --once cycles, each with one daemon per configuration started together (all on one store).
    func cycles(_ configs: [URL], database: String? = nil, folder: URL, phase: borrowing Atomic<Int>, ledger: borrowing Mutex<Ledger>) throws {
        let logs = configs.map { folder.appendingPathComponent("logs-" + $0.deletingPathExtension().lastPathComponent + "/winnowd.log") }
        for cycle in 1...2 {
            phase.store(cycle, ordering: .relaxed)
            ledger.withLock { $0 = Ledger() }
            // A one-shot run on PostgreSQL polls the due feeds (the daemons share them), and the first
            // cycle made every feed due in an hour: make them due now, as a SQLite --once polls them all.
            if cycle == 2, let database { try PGConnection(url: database).query("UPDATE feeds SET next_fetch_at = 0") }
            for log in logs { try? FileManager.default.removeItem(at: log) }
            let winnowd = URL(fileURLWithPath: self.winnowd).standardizedFileURL.path  // the runs start in their own folder
            let runs = try Self.timed(winnowd, configs.map { ["--config", $0.path, "--once"] }, folder: folder)
            let wall = runs.map(\.wall).max()!
            let seen = ledger.withLock { $0 }
            let statuses = seen.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            print(cycle == 1 ? "cycle 1 (first poll, every feed new: 200 with 3 items)" : "cycle 2 (80% 304, 15% 200 with 2 new items, 5% 500)")
            print("  \(seen.requests) requests in \(format(wall, 2)) s: \(format(Double(seen.requests) / wall)) requests/s; winnowd exit \(runs.map { String($0.status) }.joined(separator: ", "))")
            let cpu = runs.reduce(0) { $0 + $1.user + $1.system }
            print("  winnowd peak RSS \(runs.map { format($0.peakMB) }.joined(separator: ", ")) MB, CPU user \(format(runs.reduce(0) { $0 + $1.user }, 2)) s + system \(format(runs.reduce(0) { $0 + $1.system }, 2)) s (\(format(cpu / wall * 100)) % of one core)")
            print("  answers: \(statuses)")
            if let phases = Self.phases(logs: logs) { print("  in the daemons' logs: \(phases)") }
            let gaps = seen.gaps
            let under = gaps.filter { $0 < gap }.count
            print("  per-host limits: peak \(seen.peakPerHost) in flight to one host, \(seen.overConnections) requests over \(perHost), \(under) arrived closer than \(format(gap * 1000)) ms after the previous one to their host (smallest gap \(format((gaps.min() ?? 0) * 1000, 1)) ms; arrival = the kernel's receive timestamp)")
        }
    }

    /// The server's answer. Cycle 1: every feed 200 with an ETag. Cycle 2: one feed in 20 fails, three
    /// in 20 have two new items, the rest are unchanged (304 to a conditional request).
    static func answer(path: String, ifNoneMatch: String?, phase: Int) -> HTTPResponse {
        guard let n = Int(path.dropFirst("/feed-".count)) else { return HTTPResponse(status: 404, text: "no such feed") }
        var items = 3, etag = "\"v1\""
        if phase == 2 {
            switch n % 20 {
            case 0: return HTTPResponse(status: 500, text: "failing on purpose")
            case 1...3: items = 5; etag = "\"v2\""
            default: if ifNoneMatch == etag { return HTTPResponse(status: 304, headers: ["ETag": etag]) }
            }
        }
        var body = #"<?xml version="1.0"?><rss version="2.0"><channel><title>Feed \#(n)</title>"#
        for i in 0..<items {
            body += "<item><guid>feed\(n)-\(i)</guid><title>Story \(i) of feed \(n)</title><link>https://feed\(n).example/\(i)</link>"
            // Forty words drawn from 50,000 by a hash of (feed, item, position): distinct stories, as real ones are.
            let words = (0..<40).map { j in "w\(StableHash.mix(UInt64(n) << 40 | UInt64(i) << 20 | UInt64(j)) % 50_000)" }
            body += "<description>Story \(i) from feed \(n): \(words.joined(separator: " ")).</description></item>"
        }
        return HTTPResponse(headers: ["ETag": etag, "Content-Type": "application/rss+xml"], text: body + "</channel></rss>")
    }

    /// Where a --once run spent its time, from its log: start-up (until the first fetch is logged),
    /// polling (until the last), the stages after it.
    static func phases(logs: [URL]) -> String? {
        var started: Double?, firstFetch: Double?, lastFetch: Double?, stopped: Double?
        for log in logs {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return nil }
        // The log's times carry milliseconds; the phases need them (a second is a tenth of a cycle).
        let clock = ISO8601DateFormatter()
        clock.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let message = object["message"] as? String, let time = (object["time"] as? String).flatMap(clock.date(from:)) else { continue }
            let t = time.timeIntervalSince1970
            switch message {
            case "winnowd started": started = min(started ?? t, t)
            case "feed fetched", "feed fetch failed": firstFetch = min(firstFetch ?? t, t); lastFetch = max(lastFetch ?? t, t)
            case "winnowd stopped": stopped = max(stopped ?? t, t)
            default: break
            }
        }
        }
        guard let started, let firstFetch, let lastFetch, let stopped else { return nil }
        return "start-up \(format(firstFetch - started, 2)) s, polling \(format(lastFetch - firstFetch, 2)) s, stages and exit \(format(stopped - lastFetch, 2)) s"
    }

    /// Runs commands at once, each under /usr/bin/time: each one's wall seconds, exit status, peak RSS and CPU.
    static func timed(_ binary: String, _ arguments: [[String]], folder: URL) throws -> [(wall: Double, status: Int32, peakMB: Double, user: Double, system: Double)] {
        let start = DispatchTime.now()
        let processes = try arguments.enumerated().map { i, arguments in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
            process.arguments = ["-o", folder.appendingPathComponent("time-\(i).txt").path, "-f", "%e %M %U %S", binary] + arguments
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice  // the log goes to its file as well
            let errors = folder.appendingPathComponent("stderr-\(i).txt")
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
            try ChildProcesses.launch(process)
            return process
        }
        return try processes.enumerated().map { i, process in
            process.waitUntilExit()
            let wall = seconds(since: start)
            let report = folder.appendingPathComponent("time-\(i).txt")
            let fields = try String(contentsOf: report, encoding: .utf8).split(whereSeparator: \.isWhitespace).suffix(4).compactMap { Double($0) }
            guard fields.count == 4 else { throw ValidationError("could not read /usr/bin/time's report") }
            if process.terminationStatus != 0 {
                let errors = (try? String(contentsOf: folder.appendingPathComponent("stderr-\(i).txt"), encoding: .utf8)) ?? ""
                print("  process \(i) exited \(process.terminationStatus): \(errors.suffix(1500))")
            }
            return (wall, process.terminationStatus, fields[1] / 1024, fields[2], fields[3])
        }
    }
}
