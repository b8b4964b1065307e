import Foundation
import Testing
import WinnowFeeds
import WinnowPostgres
import WinnowStore
import WinnowTestSupport

/// Feed leasing on the PostgreSQL store: several daemons (here: stores with connections of their
/// own, on threads of their own) claim due feeds at once, each feed once; a daemon that stalled past
/// its lease writes nothing.
@Suite struct FeedLeaseTests {
    func feeds(_ count: Int) -> [FeedRegistration] {
        (0..<count).map { FeedRegistration(name: "feed-\($0)", url: "http://127.0.0.1:9/feed-\($0).xml") }
    }

    func outcome(_ items: [FeedItem], next: Double = 4_000_000_000) -> FetchOutcome {
        FetchOutcome(startedAt: Date().timeIntervalSince1970, durationMS: 5, httpStatus: 200, bytes: 100, nextFetchAt: next, items: items)
    }

    @Test func threeDaemonsClaimingTogetherGetEachDueFeedOnce() throws {
        let url = try PostgresServer.shared().createDatabase("claims")
        let daemons = try (0..<3).map { _ in try PostgresStore.open(url: url) }
        try daemons[0].register(feeds: feeds(60))
        let claimed = Claimed()
        // Small claims, repeated, so the three interleave.
        onThreads(3) { i in
            while true {
                let leases = (try? daemons[i].claimDueFeeds(now: Date().timeIntervalSince1970, limit: 4)) ?? []
                if leases.isEmpty { break }
                claimed.lock.withLock { claimed.names[i] += leases.map(\.feed.name) }
                for lease in leases { _ = try? daemons[i].record(lease, outcome: outcome([])) }
            }
        }
        let all = claimed.names.flatMap { $0 }
        #expect(all.count == 60 && Set(all).count == 60, "each feed claimed exactly once: \(all.count) claims, \(Set(all).count) feeds")
        #expect(claimed.names.filter { !$0.isEmpty }.count >= 2, "the daemons shared the work: \(claimed.names.map(\.count))")
        #expect(try daemons[0].claimDueFeeds(now: Date().timeIntervalSince1970, limit: 100).isEmpty, "recorded feeds are due again only later")
        let db = try PGConnection(url: url)
        #expect(try db.query("SELECT count(*) FROM fetch_log").int(0, 0) == 60)
    }

    final class Claimed: @unchecked Sendable {
        let lock = NSLock()
        var names: [[String]] = [[], [], []]
    }

    @Test func aDaemonThatStalledPastItsLeaseWritesNothing() throws {
        let url = try PostgresServer.shared().createDatabase("fence")
        var short = PostgresStore.Options()
        short.lease = .seconds(1)
        let stalled = try PostgresStore.open(url: url, options: short)
        let other = try PostgresStore.open(url: url)
        try stalled.register(feeds: feeds(2))
        let mine = try stalled.claimDueFeeds(now: Date().timeIntervalSince1970, limit: 10)
        try #require(mine.count == 2)
        #expect(try other.claimDueFeeds(now: Date().timeIntervalSince1970, limit: 10).isEmpty, "leased feeds are not claimed twice")

        Thread.sleep(forTimeInterval: 1.5)  // the lease runs out (SIGSTOP, a long GC pause, a slow disk)
        let taken = try other.claimDueFeeds(now: Date().timeIntervalSince1970, limit: 10)
        #expect(taken.map(\.feed.id) == mine.map(\.feed.id))
        #expect(zip(taken, mine).allSatisfy { $0.token > $1.token })
        let item = FeedItem(guid: "https://news.example/a", link: "https://news.example/a", content: "the article")
        #expect(try other.record(taken[0], outcome: outcome([item])) == 1)
        // The stalled daemon continues: its writes are fenced off, for both feeds.
        #expect(try stalled.record(mine[0], outcome: outcome([item, FeedItem(guid: "https://news.example/b", content: "another")])) == nil)
        #expect(try stalled.record(mine[1], outcome: outcome([])) == nil)
        let db = try PGConnection(url: url)
        #expect(try db.query("SELECT count(*) FROM raw_items").int(0, 0) == 1)
        #expect(try db.query("SELECT count(*) FROM fetch_log").int(0, 0) == 1)
        #expect(try db.query("SELECT count(*) FROM clean_queue").int(0, 0) == 1)
        // The feed the other daemon still holds stays its own until it records it.
        #expect(try stalled.claimDueFeeds(now: Date().timeIntervalSince1970, limit: 10).isEmpty)
        #expect(try other.record(taken[1], outcome: outcome([])) == 0)
    }

    @Test func liveDaemonsAreListedWithTheLeasesTheyHold() throws {
        let url = try PostgresServer.shared().createDatabase("daemons")
        let a = try PostgresStore.open(url: url), b = try PostgresStore.open(url: url)
        try a.register(feeds: feeds(5))
        try a.heartbeat()
        try b.heartbeat()
        _ = try a.claimDueFeeds(now: Date().timeIntervalSince1970, limit: 3)
        let live = try a.liveDaemons()
        #expect(live.map(\.id).sorted() == [a.owner, b.owner].sorted())
        #expect(live.first { $0.id == a.owner }?.leases == 3)
        #expect(live.first { $0.id == b.owner }?.leases == 0)
        try b.signOff()
        #expect(try a.liveDaemons().map(\.id) == [a.owner])
    }
}
