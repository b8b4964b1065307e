import Foundation
import Logging
import Synchronization
import Testing
@testable import WinnowPipeline
import WinnowFetch
import WinnowStore
import WinnowTestSupport

/// Per-host limits, measured by a real server on 127.0.0.1 that counts what it is sent.
@Suite struct HostPolitenessTests {
    static let rss = #"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g</guid><title>one</title></item></channel></rss>"#

    func setUp(_ urls: [String], gap: Double = 0) throws -> (ArticleStore, FeedPoller, [FeedState], URL) {
        let folder = try TestPaths.temporaryFolder()
        let store = try ArticleStore.open(path: folder.appendingPathComponent("db.sqlite").path)
        let feeds = try store.register(feeds: urls.enumerated().map { FeedRegistration(name: "f\($0.offset)", url: $0.element) })
        // As the daemon does it: the gate schedules the gap and the fetcher keeps it when sending.
        let poller = testPoller(store, limits: FetchLimits(totalTimeout: 5, connectTimeout: 2, perHostGap: gap))
        return (store, poller, feeds, folder)
    }

    @Test func oneHostGetsAtMostItsConnectionsAndItsGap() async throws {
        struct Load { var inFlight = 0, peak = 0, starts: [Double] = [] }
        let load = Mutex(Load())
        let server = try LoopbackHTTPServer { request in
            load.withLock { $0.inFlight += 1; $0.peak = max($0.peak, $0.inFlight); $0.starts.append(request.arrival) }
            // A slow server, so requests would overlap if let: slow enough that a loaded machine
            // (two builds beside the suite) still starts the second request before the first ends.
            Thread.sleep(forTimeInterval: 0.5)
            load.withLock { $0.inFlight -= 1 }
            return HTTPResponse(text: Self.rss)
        }
        defer { server.stop() }
        let (_, poller, feeds, folder) = try setUp((0..<6).map { server.baseURL + "/feed\($0).xml" }, gap: 0.05)
        defer { try? FileManager.default.removeItem(at: folder) }
        let gate = HostGate(connections: 2, gap: 0.05)
        await withTaskGroup(of: Void.self) { group in
            for feed in feeds { group.addTask { await poller.poll(feed, options: .init(interval: 900), gate: gate) } }
        }
        let seen = load.withLock { $0 }
        #expect(seen.starts.count == 6)
        #expect(seen.peak == 2)  // concurrent, but never more than the limit
        // Arrivals as the kernel stamped them, so the server's own scheduling adds no noise: the full gap.
        let starts = seen.starts.sorted()
        let gaps = zip(starts.dropFirst(), starts).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= 0.05 }, "gaps between request arrivals: \(gaps)")
    }

    @Test func aHostThatAnswers429RestsWhileOtherHostsGoOn() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/busy.xml" ? HTTPResponse(status: 429, headers: ["Retry-After": "600"], text: "slow down") : HTTPResponse(text: Self.rss)
        }
        defer { server.stop() }
        // Two names for one server: 127.0.0.1 and localhost are two hosts to the gate.
        let other = "http://localhost:\(server.port)/other.xml"
        let (store, poller, feeds, folder) = try setUp([server.baseURL + "/busy.xml", server.baseURL + "/sibling.xml", other])
        defer { try? FileManager.default.removeItem(at: folder) }
        let gate = HostGate(connections: 2, gap: 0.01)
        let started = Date().timeIntervalSince1970
        for feed in feeds { await poller.poll(feed, options: .init(interval: 900), gate: gate) }
        #expect(server.requests.map(\.path) == ["/busy.xml", "/other.xml"])  // the sibling was not sent
        let states = Dictionary(uniqueKeysWithValues: try store.feeds().map { ($0.name, $0) })
        let busy = try #require(states["f0"]), sibling = try #require(states["f1"]), elsewhere = try #require(states["f2"])
        #expect(busy.lastStatus == 429 && busy.consecutiveErrors == 1)
        // The sibling waits out the host's rest without an error against it; the other host was polled.
        #expect(sibling.lastStatus == nil && sibling.consecutiveErrors == 0)
        #expect(sibling.nextFetchAt >= started + 599 && sibling.nextFetchAt <= Date().timeIntervalSince1970 + 601)
        #expect(elsewhere.lastStatus == 200)
    }

    @Test func dueFeedsAreTakenOneHostAtATime() {
        let urls = ["https://a.example/1", "https://a.example/2", "https://A.example/3", "https://b.example/1",
                    "https://c.example:8080/1", "https://b.example/2", "https://c.example/1"]
        #expect(PipelineService.interleavedByHost(urls, url: { $0 }) == [
            "https://a.example/1", "https://b.example/1", "https://c.example:8080/1", "https://c.example/1",
            "https://a.example/2", "https://b.example/2", "https://A.example/3",
        ])
    }

    /// Full text: each new item's page is fetched (once: known items are not fetched again) and becomes
    /// its content; a page that fails leaves the feed's text; links to internal addresses are refused
    /// unless the feed allows them.
    @Test func fullTextFetchesEachNewItemsPageOnce() async throws {
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/feed.xml":
                // Links on the server's own address, which the request's Host header names.
                let host = request.headers["host"] ?? ""
                let items = ["a", "b", "missing"].map {
                    "<item><guid>\($0)</guid><title>\($0)</title><link>http://\(host)/\($0).html</link><description>feed text \($0)</description></item>"
                }
                return HTTPResponse(text: #"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>"# + items.joined() + "</channel></rss>")
            case "/a.html", "/b.html":
                return HTTPResponse(headers: ["Content-Type": "text/html"], text: "<html><body><article><p>The whole story \(request.path).</p></article></body></html>")
            default: return HTTPResponse(status: 404, text: "no")
            }
        }
        defer { server.stop() }
        let (store, poller, feeds, folder) = try setUp([server.baseURL + "/feed.xml"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let gate = HostGate(connections: 2, gap: 0.01)

        // Not allowed to reach loopback: every page is refused, every item keeps the feed's text, the feed is fine.
        await poller.poll(feeds[0], options: .init(interval: 900, fullText: true), gate: gate)
        #expect(server.requests.map(\.path) == ["/feed.xml"])
        var stored = try store.pendingClean().map { ($0.item.guid, $0.item.body ?? "") }
        #expect(stored.map(\.1) == ["feed text a", "feed text b", "feed text missing"])
        #expect(try store.feeds()[0].lastStatus == 200)

        // Allowed (a fresh store, so the items are new): the pages replace the text, the missing one keeps it.
        let (allowedStore, allowedPoller, allowedFeeds, allowedFolder) = try setUp([server.baseURL + "/feed.xml"])
        defer { try? FileManager.default.removeItem(at: allowedFolder) }
        let options = FeedPoller.PollOptions(interval: 900, fullText: true, allowPrivateLinks: true)
        await allowedPoller.poll(allowedFeeds[0], options: options, gate: gate)
        stored = try allowedStore.pendingClean().map { ($0.item.guid, $0.item.body ?? "") }
        #expect(stored.count == 3)
        #expect(stored[0].1.contains("The whole story /a.html") && stored[1].1.contains("The whole story /b.html"))
        #expect(stored[2].1 == "feed text missing")
        // A second poll finds the items known: no page is fetched again.
        let before = server.requests.count
        await allowedPoller.poll(try allowedStore.feeds()[0], options: options, gate: gate)
        #expect(server.requests.dropFirst(before).map(\.path) == ["/feed.xml"])
    }
}
