import ArgumentParser
import Foundation
import Synchronization
import WinnowStore
import WinnowTestSupport

/// The soak run: winnowd as a daemon against a local server whose feeds publish continuously, with
/// faults injected (server errors, 429s, slow and stalled answers, broken XML) and republished copies
/// among them. Every sample prints the daemon's memory and CPU and what it stored; at the end, a clean
/// `--once` run takes in what is left and the database is checked as the crash harness checks it.
struct Soak: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "soak", abstract: "Run winnowd for a long time against publishing feeds with faults; report memory over time.")

    @Option(name: .long, help: "The winnowd binary.") var winnowd = ".build/release/winnowd"
    @Option(name: .long, help: "Minutes to run.") var minutes = 60.0
    @Option(name: .long, help: "Feeds on the local server; every fifth republishes the one before it.") var feeds = 2000
    @Option(name: .long, help: "Seconds between samples.") var sampleEvery = 60.0
    @Option(name: .long, help: "Poll interval of every feed.") var interval = "60s"
    @Option(name: .long, help: "The daemon's log level.") var logLevel = "notice"

    /// Feed `n` publishes an item every `period(n)` seconds from the start; a document lists the newest 50.
    static func period(_ n: Int) -> Double { 20 + Double(n * 7919 % 280) }
    static let window = 50

    /// The fault a request meets, from the feed and how many requests it has had (repeatable).
    enum Fault { case none, serverError, tooMany, slow, stall, broken }
    static func fault(feed: Int, request: Int) -> Fault {
        switch (feed &* 2_654_435_761 &+ request &* 40_503) % 1000 {
        case 0..<30: return .serverError  // 3%
        case 30..<40: return .tooMany     // 1%
        case 40..<50: return .slow        // 1%
        case 50..<53: return .stall       // 0.3%
        case 53..<63: return .broken      // 1%
        default: return .none
        }
    }

    func run() throws {
        let winnowd = URL(fileURLWithPath: self.winnowd).standardizedFileURL.path
        guard FileManager.default.isExecutableFile(atPath: winnowd) else {
            throw ValidationError("\(winnowd) is not an executable: build it first (swift build -c release --product winnowd)")
        }
        let feedCount = feeds
        let started = Date().timeIntervalSince1970
        let frozenAt = Mutex<Double?>(nil)
        let requestsPerFeed = Mutex([Int](repeating: 0, count: feedCount))
        @Sendable func published(_ n: Int, at time: Double) -> Int { 5 + Int(((frozenAt.withLock { $0 } ?? time) - started) / Self.period(n)) }
        let server = try LoopbackHTTPServer { request in
            guard request.path.hasPrefix("/feed-"), let n = Int(request.path.dropFirst(6)), n < feedCount else { return HTTPResponse(status: 404, text: "") }
            let count = published(n, at: Date().timeIntervalSince1970)
            let number = requestsPerFeed.withLock { r -> Int in r[n] += 1; return r[n] }
            let text = articleFeed(n, of: n % 5 == 4 ? n - 1 : n, items: max(0, count - Self.window)..<count)
            switch frozenAt.withLock({ $0 }) == nil ? Self.fault(feed: n, request: number) : .none {
            case .none: return HTTPResponse(text: text)
            case .serverError: return HTTPResponse(status: 500, text: "internal error")
            case .tooMany: return HTTPResponse(status: 429, headers: ["Retry-After": "30"], text: "slow down")
            case .slow: return HTTPResponse(text: text, delay: 2)
            case .stall: return HTTPResponse(headers: ["Content-Length": "100000"], body: Data(text.utf8.prefix(200)), stallAfterBytes: 200)
            case .broken: return HTTPResponse(text: String(text.prefix(text.count / 2)))
            }
        }
        defer { server.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-soak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = (0..<feeds).map { #"{"name": "feed-\#($0)", "url": "http://h\#($0 % 50).localhost:\#(server.port)/feed-\#($0)", "interval": "\#(interval)"}"# }
        let config = folder.appendingPathComponent("pipeline.json")
        try """
            {"database": "winnow.sqlite", "logs": {"folder": "logs", "level": "\(logLevel)"},
             "fetch": {"concurrency": 16, "per_host_connections": 2, "per_host_gap": "0.05s", "timeout": "10s"},
             "feeds": [\(list.joined(separator: ",\n"))]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let database = folder.appendingPathComponent("winnow.sqlite").path

        print("soak: \(feeds) feeds on 50 hosts, each publishing every 20-300 s, polled every \(interval); faults: 3% 500, 1% 429, 1% slow, 0.3% stalled, 1% broken XML; every fifth feed republishes the one before it; \(format(minutes, 1)) minutes")
        let daemon = try launch(winnowd, ["--config", config.path], in: folder)
        print("   min   RSS MB   CPU % (last interval)   items   articles   duplicates   pending")
        var samples: [(minute: Double, rss: Double)] = []
        var lastCPU = 0.0, lastTime = Date().timeIntervalSince1970
        let end = started + minutes * 60
        while Date().timeIntervalSince1970 < end {
            Thread.sleep(forTimeInterval: min(sampleEvery, max(0.1, end - Date().timeIntervalSince1970)))
            guard daemon.isRunning else { throw ValidationError("winnowd exited (status \(daemon.terminationStatus)); see \(folder.path)/logs") }
            let now = Date().timeIntervalSince1970
            let cpu = cpuSeconds(ofProcess: daemon.processIdentifier)
            let rss = Self.residentMB(pid: daemon.processIdentifier)
            let counts = try? ArticleStore.openReadOnly(path: database).counts()
            let minute = (now - started) / 60
            samples.append((minute, rss))
            print(String(format: "%6.1f   %6.1f   %21.1f   %5d   %8d   %10d   %7d", minute, rss, (cpu - lastCPU) / (now - lastTime) * 100,
                         counts?.raw ?? 0, counts?.articles ?? 0, counts?.duplicates ?? 0, (counts?.pendingClean ?? 0) + (counts?.pendingDedup ?? 0)))
            lastCPU = cpu
            lastTime = now
        }
        let totalCPU = cpuSeconds(ofProcess: daemon.processIdentifier)
        daemon.terminate()
        daemon.waitUntilExit()
        let frozen = Date().timeIntervalSince1970
        frozenAt.withLock { $0 = frozen }
        let publishedPerFeed = (0..<feedCount).map { published($0, at: frozen) }
        // Publishing stops and the faults with it: one clean run takes in what is left.
        let finish = try launch(winnowd, ["--config", config.path, "--once"], in: folder)
        finish.waitUntilExit()

        let store = try ArticleStore.openReadOnly(path: database)
        let counts = try store.counts()
        let report = try store.consistencyReport()
        let expected = publishedPerFeed.reduce(0, +)
        let copies = (0..<feedCount).filter { $0 % 5 == 4 }.reduce(0) { $0 + min(publishedPerFeed[$1], publishedPerFeed[$1 - 1]) }
        let warm = samples.filter { $0.minute >= minutes * 0.2 }.map(\.rss)
        print("")
        print("daemon: exit \(daemon.terminationStatus) on SIGTERM; CPU \(format(totalCPU, 1)) s over \(format(minutes)) min (\(format(totalCPU / (minutes * 60) * 100, 1)) % of one core)")
        if let low = warm.min(), let high = warm.max(), let first = warm.first, let last = warm.last {
            print("memory after warm-up (from minute \(format(minutes * 0.2, 1))): \(format(low, 1))-\(format(high, 1)) MB, first \(format(first, 1)) MB, last \(format(last, 1)) MB")
        }
        print("items: \(counts.raw) stored, \(expected) published (lost: \(max(0, expected - counts.raw)), stored twice: \(report.items - report.distinctItems)); \(counts.articles) articles, \(counts.duplicates) duplicates (copies published: \(copies))")
        print("requests served: \(requestsPerFeed.withLock { $0.reduce(0, +) })")
        print("fetch errors by class (fetch_log):")
        for (errorClass, n) in try store.fetchErrors().sorted(by: { $0.key < $1.key }) { print("  \(errorClass): \(n)") }
        print("  postponed (host resting after a 429; not fetched): \(try store.fetchCount(httpStatus: 429))")
        print("integrity_check: \(try store.integrityCheck()); maintained counts consistent: \(try store.countsAreConsistent())")
    }

    static func residentMB(pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
