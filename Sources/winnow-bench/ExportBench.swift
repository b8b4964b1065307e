import ArgumentParser
import Foundation
import WinnowStore

/// `winnow-bench export`: the figures issue 23 asks for, through the real binaries.
/// 1. The outbox under a dead receiver: winnowd (daemon) stores `--articles` synthetic articles from
///    file feeds with a webhook to a loopback port nothing listens on; its outbox depth and resident
///    memory are sampled until every delivery is owed.
/// 2. Export speed: `winnowctl export --output` on that store, to a plain and a .gz file, alternating.
/// 3. Configuration load: `winnowctl feeds list --json` on a pipeline.json of `--feeds` feeds.
struct ExportBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export speed, the outbox under a dead receiver, config load time.")

    @Option(name: .long, help: "Articles to store (in feeds of 1,000 items).")
    var articles = 100_000

    @Option(name: .long, help: "Feeds in the large configuration.")
    var feeds = 100_000

    @Option(name: .long, help: "Work folder (kept; a second run reuses its store).")
    var folder = "/tmp/winnow-export-bench"

    @Option(name: .long, help: "Timed export runs of each kind.")
    var runs = 3

    func run() throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let work = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let database = work.appendingPathComponent("state/winnow.sqlite").path
        if !FileManager.default.fileExists(atPath: database) {
            try fillThroughDaemon(bin: bin, work: work, database: database)
        }
        let stored = try ArticleStore.openReadOnly(path: database).counts().articles
        print("store: \(stored) articles")

        // Export, plain and gzip, alternating (this machine's timings drift between runs).
        var plain: [Double] = [], gzip: [Double] = []
        var sizes: [String: Int] = [:]
        for _ in 0..<runs {
            for (name, times) in [("articles.jsonl", 0), ("articles.jsonl.gz", 1)] {
                let output = work.appendingPathComponent(name).path
                let (seconds, peak) = try timed(bin.appendingPathComponent("winnowctl"), ["export", "--db", database, "--output", output])
                if times == 0 { plain.append(seconds) } else { gzip.append(seconds) }
                sizes[name] = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
                print("  export \(name): \(format(seconds, 2)) s, peak RSS \(format(peak, 0)) MB")
            }
        }
        plain.sort()
        gzip.sort()
        print("export to a file (median of \(runs)): \(format(Double(stored) / plain[plain.count / 2])) articles/s "
              + "(\(format(Double(sizes["articles.jsonl"] ?? 0) / 1e6 / plain[plain.count / 2], 1)) MB/s, \(format(Double(sizes["articles.jsonl"] ?? 0) / 1e6, 0)) MB)")
        print("export to .gz (median of \(runs)): \(format(Double(stored) / gzip[gzip.count / 2])) articles/s "
              + "(\(format(Double(sizes["articles.jsonl.gz"] ?? 0) / 1e6, 0)) MB compressed)")

        // Configuration load.
        let config = work.appendingPathComponent("large.json")
        let entries = (0..<feeds).map { #"{"name": "feed-\#($0)", "url": "https://news-\#($0 % 5000).example/feed/\#($0).xml", "interval": "30m"}"# }
        try #"{"database": "large.sqlite", "feeds": [\#(entries.joined(separator: ",\n"))]}"#.write(to: config, atomically: true, encoding: .utf8)
        var loads: [Double] = []
        var loadPeak = 0.0
        for _ in 0..<runs {
            let (seconds, peak) = try timed(bin.appendingPathComponent("winnowctl"), ["feeds", "list", "--config", config.path, "--json"])
            loads.append(seconds)
            loadPeak = max(loadPeak, peak)
        }
        loads.sort()
        let size = Double((try? FileManager.default.attributesOfItem(atPath: config.path)[.size] as? Int) ?? 0) / 1e6
        print("config load, \(feeds) feeds (\(format(size, 1)) MB), winnowctl feeds list --json, whole process: median \(format(loads[loads.count / 2], 2)) s, peak RSS \(format(loadPeak, 0)) MB")
    }

    /// Runs winnowd on file feeds holding `articles` items with a webhook nobody answers, sampling the
    /// outbox and the daemon's memory until every article's delivery is owed.
    func fillThroughDaemon(bin: URL, work: URL, database: String) throws {
        let feedsFolder = work.appendingPathComponent("feeds")
        try FileManager.default.createDirectory(at: feedsFolder, withIntermediateDirectories: true)
        let feedCount = (articles + 999) / 1000
        var entries: [String] = []
        for f in 0..<feedCount {
            let file = feedsFolder.appendingPathComponent("feed\(f).xml")
            try articleFeed(f, of: f, items: 0..<min(1000, articles - f * 1000)).write(to: file, atomically: true, encoding: .utf8)
            entries.append(#"{"name": "feed-\#(f)", "url": "file:\#(file.path)", "interval": "1d"}"#)
        }
        // A port that was free a moment ago: connections are refused, the fastest kind of dead receiver.
        let deadPort = 1 + Int.random(in: 40_000..<60_000)
        let config = work.appendingPathComponent("pipeline.json")
        try """
            {"database": "state/winnow.sqlite", "logs": {"folder": "logs", "level": "warning"},
             "feeds": [\(entries.joined(separator: ",\n"))],
             "webhooks": [{"url": "http://127.0.0.1:\(deadPort)/hook", "secret": "bench-secret-0123456789", "max_backoff": "30s"}]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = try launch(bin.appendingPathComponent("winnowd").path, ["--config", config.path], in: work)
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let start = DispatchTime.now()
        var peak = 0.0, lastDepth = -1
        while true {
            Thread.sleep(forTimeInterval: 1)
            peak = max(peak, residentMB(pid: daemon.processIdentifier))
            guard let store = try? ArticleStore.openReadOnly(path: database), let counts = try? store.counts(),
                  let outbox = try? store.outboxStatus() else { continue }
            if outbox.depth != lastDepth {
                print("  \(format(seconds(since: start), 0)) s: \(counts.articles) articles stored, outbox depth \(outbox.depth), winnowd RSS \(format(residentMB(pid: daemon.processIdentifier), 0)) MB")
                lastDepth = outbox.depth
            }
            if counts.articles >= articles, outbox.depth >= articles { break }
            if seconds(since: start) > 1800 { throw ValidationError("the store did not fill in 30 minutes") }
        }
        // Keep it running against the dead receiver a while: retries must not grow memory.
        for _ in 0..<20 {
            Thread.sleep(forTimeInterval: 1)
            peak = max(peak, residentMB(pid: daemon.processIdentifier))
        }
        let outbox = try ArticleStore.openReadOnly(path: database).outboxStatus()
        print("outbox under a dead receiver: depth \(outbox.depth) after \(format(seconds(since: start), 0)) s, winnowd peak RSS \(format(peak, 0)) MB, now \(format(residentMB(pid: daemon.processIdentifier), 0)) MB; last error: \(outbox.lastError ?? "-")")
    }

    /// Wall seconds and peak resident MB of one run of `binary` (GNU time's %M), output discarded.
    func timed(_ binary: URL, _ arguments: [String]) throws -> (Double, Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%M", binary.path] + arguments
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        let start = DispatchTime.now()
        try process.run()
        let output = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let elapsed = seconds(since: start)
        guard process.terminationStatus == 0 else { throw ValidationError("\(binary.lastPathComponent) \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))") }
        let kilobytes = String(decoding: output, as: UTF8.self).split(separator: "\n").last.flatMap { Double($0) } ?? 0
        return (elapsed, kilobytes / 1024)
    }

    func residentMB(pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
}
