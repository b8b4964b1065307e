import Foundation
import Logging
import Testing
@testable import WinnowPipeline
import WinnowFetch
import WinnowPostgres
import WinnowStore
import WinnowTestSupport

/// A host that answers 429 or 503 rests for every daemon sharing a PostgreSQL store, not only for
/// the one that was told: two daemons (two stores, pollers and gates on one database) and a real
/// server on 127.0.0.1.
@Suite struct PostgresHostRestTests {
    static let rss = """
        <?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g1</guid><title>one</title>
        <description>The first item.</description></item></channel></rss>
        """

    @Test func a429ToOneDaemonRestsTheHostForTheOther() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/busy.xml" ? HTTPResponse(status: 429, headers: ["Retry-After": "600"], text: "slow down") : HTTPResponse(text: Self.rss)
        }
        defer { server.stop() }
        let url = try PostgresServer.shared().createDatabase("hostrest")
        let stores = try (0..<2).map { _ in try PostgresStore.open(url: url) }
        // A feed on another host (localhost is another host to the gates) shows the rest stays on its host.
        _ = try stores[0].register(feeds: [FeedRegistration(name: "busy", url: server.baseURL + "/busy.xml"),
                                           FeedRegistration(name: "sibling", url: server.baseURL + "/sibling.xml"),
                                           FeedRegistration(name: "elsewhere", url: "http://localhost:\(server.port)/other.xml")])
        let pollers = stores.map { store in
            FeedPoller(fetcher: Fetcher(limits: FetchLimits(totalTimeout: 5, connectTimeout: 2)), store: store,
                       logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
        let claims = try stores[0].claimDue(now: Date().timeIntervalSince1970, all: false, limit: 10, perHost: 10)
        let byName = Dictionary(uniqueKeysWithValues: claims.map { ($0.feed.name, $0) })
        let started = Date().timeIntervalSince1970
        // Daemon 0 is told to rest; daemon 1, with a gate of its own that knows nothing of it, polls next.
        await pollers[0].poll(try #require(byName["busy"]), options: .init(interval: 900), gate: HostGate(connections: 2, gap: 0.01))
        let otherGate = HostGate(connections: 2, gap: 0.01)
        await pollers[1].poll(try #require(byName["sibling"]), options: .init(interval: 900), gate: otherGate)
        await pollers[1].poll(try #require(byName["elsewhere"]), options: .init(interval: 900), gate: otherGate)
        #expect(server.requests.map(\.path) == ["/busy.xml", "/other.xml"], "the sibling feed was not sent")
        let states = Dictionary(uniqueKeysWithValues: try stores[1].feeds().map { ($0.name, $0) })
        let busy = try #require(states["busy"]), sibling = try #require(states["sibling"]), elsewhere = try #require(states["elsewhere"])
        #expect(busy.lastStatus == 429)
        #expect(sibling.lastStatus == nil && sibling.consecutiveErrors == 0, "postponed, not failed")
        #expect(sibling.nextFetchAt >= started + 590 && sibling.nextFetchAt <= Date().timeIntervalSince1970 + 601)
        #expect(elsewhere.lastStatus == 200)

        // A shorter rest asked later does not cut the longer one short; another host has none.
        try stores[1].rest(host: HostGate.key(for: server.baseURL), for: 5)
        let turn = try stores[1].takeTurn(host: HostGate.key(for: server.baseURL), gap: 0.01)
        #expect((turn.restsFor ?? 0) > 590)
        #expect(try stores[0].takeTurn(host: "unrelated.example", gap: 0.01).restsFor == nil)
    }
}
