import Foundation
import Synchronization
import Testing
@testable import WinnowStore
import WinnowTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Drives the real `winnowd` binary against a real HTTP server on 127.0.0.1.
@Suite(.serialized) struct DaemonTests {
    /// Serves the bundled sample feeds over HTTP with ETags, as a real site would.
    static func sampleFeedServer() throws -> LoopbackHTTPServer {
        let samples = TestPaths.repository.appendingPathComponent("samples")
        return try LoopbackHTTPServer { request in
            let name = String(request.path.dropFirst())
            guard !name.contains("/"), let body = FileManager.default.contents(atPath: samples.appendingPathComponent(name).path) else {
                return HTTPResponse(status: 404, text: "no such feed")
            }
            let etag = "\"\(body.count)-\(body.hashValue & 0xffff)\""
            if request.headers["if-none-match"] == etag { return HTTPResponse(status: 304, headers: ["ETag": etag]) }
            return HTTPResponse(headers: ["ETag": etag, "Content-Type": "application/xml"], body: body)
        }
    }

    static func writeConfig(in folder: URL, feeds: [(String, String)], interval: String = "15m") throws -> URL {
        let list = feeds.map { #"{"name": "\#($0.0)", "url": "\#($0.1)", "interval": "\#(interval)"}"# }.joined(separator: ",\n    ")
        let json = """
            {
              "database": "state/winnow.sqlite",
              "logs": {"folder": "logs", "level": "debug"},
              "fetch": {"timeout": "10s", "concurrency": 4},
              "feeds": [
                \(list)
              ]
            }
            """
        let url = folder.appendingPathComponent("pipeline.json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func pollsSampleFeedsThenGets304AndStatusShowsThem() async throws {
        let server = try Self.sampleFeedServer()
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = ["harbour-gazette.xml", "valley-courier.atom", "wire-digest.xml"]
        let config = try Self.writeConfig(in: folder, feeds: names.map { ($0.components(separatedBy: ".")[0], server.baseURL + "/" + $0) })
        let winnowd = try TestPaths.binary("winnowd")

        let first = try await runProcess(winnowd, ["--config", config.path, "--once"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await runProcess(winnowd, ["--config", config.path, "--once"])
        #expect(second.status == 0, "\(second.stderr)")

        // The second poll was conditional and answered 304.
        let conditional = server.requests.filter { $0.headers["if-none-match"] != nil }
        #expect(conditional.count == 3)
        let store = try ArticleStore.openReadOnly(path: folder.appendingPathComponent("state/winnow.sqlite").path)
        #expect(try store.scalar("SELECT count(*) FROM fetch_log WHERE http_status = 200") == 3)
        #expect(try store.scalar("SELECT count(*) FROM fetch_log WHERE http_status = 304") == 3)
        let counts = try store.counts()
        #expect(counts.raw == 8)
        #expect(counts.articles == 8)
        #expect(counts.pendingClean + counts.pendingDedup == 0)
        // The republished wire stories joined their originals' clusters.
        #expect(try store.duplicateClusters().count == 2)
        // No boilerplate reached the stored articles.
        for phrase in ["Your cart is currently empty", "Subscribe", "Voice is AI-generated", "About the author", "Share this article", "Listen to this article"] {
            #expect(try store.scalar("SELECT count(*) FROM clean_articles WHERE text LIKE '%\(phrase)%'") == 0, "\(phrase)")
        }

        // Logs: one JSON object a line, in the log folder and on stderr.
        let log = try String(contentsOf: folder.appendingPathComponent("logs/winnowd.log"), encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(lines.count > 10)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String && object?["level"] is String && object?["time"] is String)
        }
        #expect(log.contains(#""http.status":304"#))
        #expect(first.stderr.contains(#""message":"feed fetched""#))

        // Metrics, as a node_exporter textfile written at shutdown (the second run's own counts).
        let metrics = try String(contentsOf: folder.appendingPathComponent("state/winnow.prom"), encoding: .utf8)
        #expect(metrics.contains(#"winnow_fetches_total{outcome="304"} 3"#), "\(metrics)")
        #expect(metrics.contains("# TYPE winnow_fetch_duration_seconds histogram"))
        #expect(metrics.contains(#"winnow_queue_depth{stage="dedup"} 0"#))

        // winnowctl reads the same database.
        let winnowctl = try TestPaths.binary("winnowctl")
        let status = try await runProcess(winnowctl, ["status", "--config", config.path, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let feeds = json?["feeds"] as? [[String: Any]] ?? []
        #expect(feeds.count == 3)
        #expect(feeds.allSatisfy { $0["lastStatus"] as? Int == 304 && ($0["items"] as? Int ?? 0) >= 2 })
        let table = try await runProcess(winnowctl, ["status", "--config", config.path])
        #expect(table.stdout.contains("harbour-gazette"))
        #expect(table.stdout.contains("articles 8"))
    }

    @Test func brokenFeedMarksThatFeedNotTheDaemon() async throws {
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/good": return HTTPResponse(text: "<rss version=\"2.0\"><channel><title>g</title><item><guid>1</guid><description>A body with words enough to keep.</description></item></channel></rss>")
            case "/html": return HTTPResponse(headers: ["Content-Type": "text/html"], text: "<html><body>Not a feed</body></html>")
            default: return HTTPResponse(status: 500, text: "boom")
            }
        }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.writeConfig(in: folder, feeds: [("good", server.baseURL + "/good"), ("html", server.baseURL + "/html"),
                                                              ("down", server.baseURL + "/down")])
        let run = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
        #expect(run.status == 0)
        let store = try ArticleStore.openReadOnly(path: folder.appendingPathComponent("state/winnow.sqlite").path)
        let feeds = Dictionary(uniqueKeysWithValues: try store.feeds().map { ($0.name, $0) })
        #expect(feeds["good"]?.consecutiveErrors == 0)
        #expect(feeds["good"]?.items == 1)
        #expect(feeds["html"]?.consecutiveErrors == 1)
        #expect(feeds["html"]?.lastError?.contains("not a feed") == true)
        #expect(feeds["down"]?.lastStatus == 500)
        #expect(feeds["down"]?.lastError == "HTTP 500 from \(server.baseURL)/down")
        // A failing feed is retried later, never disabled.
        #expect((feeds["down"]?.nextFetchAt ?? 0) > Date().timeIntervalSince1970)
        #expect(feeds["down"]?.active == true)
        #expect(try store.scalar("SELECT count(*) FROM fetch_log WHERE error_class = 'parse'") == 1)
    }

    @Test func oversizedAndMissingLocalFeedsMarkThoseFeeds() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = folder.appendingPathComponent("big.xml")
        _ = FileManager.default.createFile(atPath: big.path, contents: Data(repeating: 0x20, count: 2_000_000))
        try """
            {"fetch": {"max_body_bytes": 1000000},
             "feeds": [{"name": "big", "url": "file:big.xml"}, {"name": "gone", "url": "file:missing.xml"}]}
            """.write(to: folder.appendingPathComponent("pipeline.json"), atomically: true, encoding: .utf8)
        let run = try await runProcess(try TestPaths.binary("winnowd"), ["--config", folder.appendingPathComponent("pipeline.json").path, "--once"])
        #expect(run.status == 0)
        let feeds = Dictionary(uniqueKeysWithValues: try ArticleStore.openReadOnly(path: folder.appendingPathComponent("state/winnow.sqlite").path)
            .feeds().map { ($0.name, $0) })
        #expect(feeds["big"]?.lastError?.contains("larger than the limit of 1000000 bytes") == true)
        #expect(feeds["gone"]?.lastError?.contains("missing.xml") == true)
        #expect(feeds["gone"]?.consecutiveErrors == 1)
    }

    @Test func invalidConfigurationIsRefusedWithItsFieldPath() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("pipeline.json")
        try #"{"feeds": [{"name": "a", "url": "https://a.example/", "interval": "5x"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let run = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path])
        #expect(run.status == 78)
        #expect(run.stderr.contains(#"feeds[0].interval: "5x" is not a duration"#))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("state").path))
    }

    @Test func changedDedupParametersAreRefusedUntilReprocessed() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        func write(permutations: Int) throws {
            try """
                {"feeds": [{"name": "harbour", "url": "file:\(samples.path)/harbour-gazette.xml"}],
                 "dedup": {"permutations": \(permutations)}}
                """.write(to: config, atomically: true, encoding: .utf8)
        }
        let winnowd = try TestPaths.binary("winnowd"), winnowctl = try TestPaths.binary("winnowctl")
        try write(permutations: 128)
        #expect(try await runProcess(winnowd, ["--config", config.path, "--once"]).status == 0)

        try write(permutations: 64)
        let refused = try await runProcess(winnowd, ["--config", config.path, "--once"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("dedup parameters changed"))
        #expect(refused.stderr.contains("winnowctl reprocess --from dedup"))

        let reprocess = try await runProcess(winnowctl, ["reprocess", "--from", "dedup", "--config", config.path])
        #expect(reprocess.status == 0, "\(reprocess.stderr)")
        #expect(try await runProcess(winnowd, ["--config", config.path, "--once"]).status == 0)
        let store = try ArticleStore.openReadOnly(path: folder.appendingPathComponent("state/winnow.sqlite").path)
        #expect(try store.counts().articles == 3)
        #expect(try store.scalar("SELECT count(*) FROM signatures WHERE length(signature) = 64 * 4") == 3)
    }

    /// Between cycles the daemon sleeps: once it has slept through a few timed waits (feeds due every
    /// second), it uses a small fraction of a core. (It once spun at full CPU after its first timed sleep.)
    @Test func betweenCyclesTheDaemonSleeps() async throws {
        let server = try Self.sampleFeedServer()
        defer { server.stop() }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.writeConfig(in: folder, feeds: [("wire-digest", server.baseURL + "/wire-digest.xml")], interval: "1s")
        let daemon = try startDaemon(config)
        defer { if daemon.isRunning { daemon.terminate() } }
        try await Task.sleep(for: .seconds(4))  // start-up and a few cycles, each ended by a timed sleep
        let before = cpuSeconds(ofProcess: daemon.processIdentifier)
        try await Task.sleep(for: .seconds(3))
        let used = cpuSeconds(ofProcess: daemon.processIdentifier) - before
        #expect(daemon.isRunning)
        #expect(used < 1.0, "winnowd used \(used) CPU seconds in 3 s with one feed due every second")
        #expect(server.requests.count >= 3, "the feed was polled \(server.requests.count) times")
    }


    @Test func sigtermStopsTheDaemonCleanlyWithExitZero() async throws {
        let server = try Self.sampleFeedServer()
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.writeConfig(in: folder, feeds: [("harbour", server.baseURL + "/harbour-gazette.xml")])
        let daemon = try startDaemon(config)
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        try await waitUntil(timeout: 20) { (try? ArticleStore.openReadOnly(path: database).counts().articles) == 3 }
        let sent = Date()
        kill(daemon.processIdentifier, SIGTERM)
        await waitForExit(daemon)
        #expect(daemon.terminationStatus == 0)
        #expect(daemon.terminationReason == .exit)
        #expect(Date().timeIntervalSince(sent) < 5)
        let log = try String(contentsOf: folder.appendingPathComponent("logs/winnowd.log"), encoding: .utf8)
        #expect(log.contains(#""message":"winnowd stopped""#))
    }

    /// SIGTERM while fetches are in flight and stages are busy: exit 0 within the bound, nothing
    /// half-written, and the next run finishes the work.
    @Test func sigtermDuringABusyCycleDrainsAndExitsZero() async throws {
        let feedCount = 6, itemsPerFeed = 120
        let firstRun = Atomic<Bool>(true)
        let server = try LoopbackHTTPServer { request in
            guard let n = Int(request.path.dropFirst(6)) else { return HTTPResponse(status: 404, text: "") }
            // Half the feeds answer only after 20 s during the first run: in flight when SIGTERM comes. (With
            // two connections per host, some of them are still waiting for a slot then, not yet sent.)
            let stall = n % 2 == 1 && firstRun.load(ordering: .relaxed)
            return HTTPResponse(headers: ["ETag": "\"feed-\(n)\""], text: syntheticFeed(n, items: itemsPerFeed), delay: stall ? 20 : 0)
        }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.writeConfig(in: folder, feeds: (0..<feedCount).map { ("feed-\($0)", server.baseURL + "/feed-\($0)") })
        let daemon = try startDaemon(config)
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        try await waitUntil(timeout: 20) { ((try? ArticleStore.openReadOnly(path: database).counts().raw) ?? 0) > 0 }
        let sent = Date()
        kill(daemon.processIdentifier, SIGTERM)
        await waitForExit(daemon)
        #expect(daemon.terminationReason == .exit)
        #expect(daemon.terminationStatus == 0)
        #expect(Date().timeIntervalSince(sent) < 10)  // the slow fetches were cancelled, not waited for
        let interrupted = try ArticleStore.openReadOnly(path: database)
        #expect(try interrupted.integrityCheck() == "ok")
        #expect(try interrupted.countsAreConsistent())
        #expect(try interrupted.counts().raw < feedCount * itemsPerFeed)

        firstRun.store(false, ordering: .relaxed)
        let finish = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
        #expect(finish.status == 0)
        let store = try ArticleStore.openReadOnly(path: database)
        #expect(try store.counts().articles == feedCount * itemsPerFeed)
        #expect(try store.countsAreConsistent())
    }

    /// SIGKILL in the middle of cycles, again and again, then a clean run: every published item is
    /// stored exactly once and every stage is consistent.
    @Test func sigkillMidCycleLosesNothingAndDuplicatesNothing() async throws {
        let feedCount = 6, itemsPerFeed = 120
        let server = try LoopbackHTTPServer { request in
            guard let n = Int(request.path.dropFirst(6)) else { return HTTPResponse(status: 404, text: "") }  // "/feed-N"
            // Odd feeds answer slowly, so kills also land during fetches.
            return HTTPResponse(headers: ["ETag": "\"feed-\(n)\""], text: syntheticFeed(n, items: itemsPerFeed), delay: n % 2 == 1 ? 0.3 : 0)
        }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.writeConfig(in: folder, feeds: (0..<feedCount).map { ("feed-\($0)", server.baseURL + "/feed-\($0)") })
        let winnowd = try TestPaths.binary("winnowd")
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        var kills = 0, interrupted = 0
        var delays = SplitMix(seed: 7)
        for round in 0..<6 {
            let daemon = try startDaemon(config)
            try await Task.sleep(for: .seconds(round == 0 ? 0.25 : delays.delay()))
            kill(daemon.processIdentifier, SIGKILL)
            await waitForExit(daemon)
            #expect(daemon.terminationReason == .uncaughtSignal)
            kills += 1
            if let counts = try? ArticleStore.openReadOnly(path: database).counts(),
               counts.raw < feedCount * itemsPerFeed || counts.pendingClean + counts.pendingDedup > 0 {
                interrupted += 1
            }
        }
        // Unless some kill left work half-way, the kills did not land mid-cycle and the test proves nothing.
        #expect(interrupted > 0)
        let before = try ArticleStore.openReadOnly(path: database).counts()

        let finish = try await runProcess(winnowd, ["--config", config.path, "--once"])
        #expect(finish.status == 0, "\(finish.stderr.suffix(2000))")
        let store = try ArticleStore.openReadOnly(path: database)
        #expect(try store.integrityCheck() == "ok")
        let counts = try store.counts()
        let published = feedCount * itemsPerFeed
        #expect(counts.raw == published, "kills: \(kills), interrupted: \(interrupted), before: \(before)")
        #expect(try store.scalar("SELECT count(DISTINCT feed_id || '/' || guid) FROM raw_items") == published)
        #expect(counts.clean == published)
        #expect(counts.articles == published)
        #expect(try store.scalar("SELECT count(*) FROM clean_articles c LEFT JOIN raw_items r ON r.id = c.raw_item_id WHERE r.id IS NULL") == 0)
        #expect(try store.scalar("SELECT count(*) FROM articles a LEFT JOIN clusters c ON c.id = a.cluster_id WHERE c.id IS NULL") == 0)
        #expect(try store.scalar("SELECT count(*) FROM clusters c WHERE c.size != (SELECT count(*) FROM articles a WHERE a.cluster_id = c.id)") == 0)
        #expect(try store.scalar("SELECT count(*) FROM clean_articles GROUP BY raw_item_id HAVING count(*) > 1") == 0)
        // The stage queues are empty, and every queued item was in its stage.
        #expect(try store.scalar("SELECT count(*) FROM clean_queue") + store.scalar("SELECT count(*) FROM dedup_queue") == 0)
        #expect(before.raw == before.clean + before.pendingClean)
        #expect(before.clean == before.articles + before.pendingDedup)
        // The maintained counts agree with the rows after all those kills.
        #expect(try store.countsAreConsistent())
        // Every synthetic item is distinct: nothing may be flagged a duplicate.
        #expect(counts.duplicates == 0)
    }
}

/// An RSS feed of distinct synthetic articles (distinct words, so no two are near-duplicates).
func syntheticFeed(_ feed: Int, items: Int) -> String {
    var rng = SplitMix(seed: UInt64(feed) &* 1_000_003 &+ 1)
    var out = #"<?xml version="1.0"?><rss version="2.0"><channel><title>Feed \#(feed)</title>"#
    for i in 0..<items {
        let words = (0..<120).map { _ in "w\(rng.nextInt() % 50_000)" }.joined(separator: " ")
        out += "<item><guid>feed\(feed)-item\(i)</guid><title>Item \(i) of feed \(feed)</title><link>https://feed\(feed).example/\(i)</link><description>&lt;p&gt;\(words).&lt;/p&gt;</description></item>"
    }
    return out + "</channel></rss>"
}

extension SplitMix {
    /// A delay between 0.1 and 1.5 seconds, for repeatable kill schedules.
    mutating func delay() -> Double { 0.1 + Double(nextInt() % 1400) / 1000 }
}

