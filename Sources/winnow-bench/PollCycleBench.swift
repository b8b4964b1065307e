import ArgumentParser
import Foundation
import Synchronization
import WinnowDedup
import WinnowFeeds
import WinnowTestSupport

/// One full poll cycle of the real winnowd over many feeds on a local server: the server answers for
/// `--hosts` host names under .localhost (libcurl resolves them to 127.0.0.1 itself, so nothing leaves
/// the machine), checks the per-host limits on every request and reports any violation.
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
        }
        let config = folder.appendingPathComponent("pipeline.json")
        try """
            {"database": "winnow.sqlite", "logs": {"folder": "logs"},
             "fetch": {"concurrency": \(concurrency), "per_host_connections": \(perHost), "per_host_gap": "\(gap)s", "timeout": "10s"},
             "feeds": [\(list.joined(separator: ",\n"))]}
            """.write(to: config, atomically: true, encoding: .utf8)

        print("\(feeds) feeds over \(hosts) hosts (*.localhost, all 127.0.0.1:\(server.port)); concurrency \(concurrency), per host \(perHost) connections, \(format(gap * 1000)) ms apart")
        for cycle in 1...2 {
            phase.store(cycle, ordering: .relaxed)
            ledger.withLock { $0 = Ledger() }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent("logs/winnowd.log"))
            let run = try Self.timed(winnowd, ["--config", config.path, "--once"], folder: folder)
            let seen = ledger.withLock { $0 }
            let statuses = seen.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            print(cycle == 1 ? "cycle 1 (first poll, every feed new: 200 with 3 items)" : "cycle 2 (80% 304, 15% 200 with 2 new items, 5% 500)")
            print("  \(seen.requests) requests in \(format(run.wall, 2)) s: \(format(Double(seen.requests) / run.wall)) requests/s; winnowd exit \(run.status)")
            print("  winnowd peak RSS \(format(run.peakMB)) MB, CPU user \(format(run.user, 2)) s + system \(format(run.system, 2)) s (\(format((run.user + run.system) / run.wall * 100)) % of one core)")
            print("  answers: \(statuses)")
            if let phases = Self.phases(log: folder.appendingPathComponent("logs/winnowd.log")) { print("  in the daemon's log: \(phases)") }
            let gaps = seen.gaps
            let under = gaps.filter { $0 < gap }.count
            print("  per-host limits: peak \(seen.peakPerHost) in flight to one host, \(seen.overConnections) requests over \(perHost), \(under) arrived closer than \(format(gap * 1000)) ms after the previous one to their host (smallest gap \(format((gaps.min() ?? 0) * 1000, 1)) ms; arrival = the kernel's receive timestamp)")
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
    static func phases(log: URL) -> String? {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return nil }
        var started: Double?, firstFetch: Double?, lastFetch: Double?, stopped: Double?
        // The log's times carry milliseconds; the phases need them (a second is a tenth of a cycle).
        let clock = ISO8601DateFormatter()
        clock.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let message = object["message"] as? String, let time = (object["time"] as? String).flatMap(clock.date(from:)) else { continue }
            let t = time.timeIntervalSince1970
            switch message {
            case "winnowd started": started = t
            case "feed fetched", "feed fetch failed": firstFetch = firstFetch ?? t; lastFetch = t
            case "winnowd stopped": stopped = t
            default: break
            }
        }
        guard let started, let firstFetch, let lastFetch, let stopped else { return nil }
        return "start-up \(format(firstFetch - started, 2)) s, polling \(format(lastFetch - firstFetch, 2)) s, stages and exit \(format(stopped - lastFetch, 2)) s"
    }

    /// Runs a command under /usr/bin/time: wall seconds, exit status, peak RSS and CPU.
    static func timed(_ binary: String, _ arguments: [String], folder: URL) throws -> (wall: Double, status: Int32, peakMB: Double, user: Double, system: Double) {
        let report = folder.appendingPathComponent("time.txt")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-o", report.path, "-f", "%e %M %U %S", binary] + arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice  // the log goes to its file as well
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now()
        try process.run()
        process.waitUntilExit()
        let wall = seconds(since: start)
        let fields = try String(contentsOf: report, encoding: .utf8).split(whereSeparator: \.isWhitespace).suffix(4).compactMap { Double($0) }
        guard fields.count == 4 else { throw ValidationError("could not read /usr/bin/time's report") }
        return (wall, process.terminationStatus, fields[1] / 1024, fields[2], fields[3])
    }
}
