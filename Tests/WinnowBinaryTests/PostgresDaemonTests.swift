import Foundation
import Synchronization
import Testing
import WinnowPostgres
import WinnowTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several real `winnowd` processes sharing one throw-away PostgreSQL database, polling feeds on a real
/// HTTP server on 127.0.0.1: each feed is fetched once between them, a dead daemon's work is taken
/// over when its leases run out, and a daemon that stalled past its lease writes nothing.
@Suite(.serialized) struct PostgresDaemonTests {
    static let feedCount = 60

    /// About 150 words drawn from `seed`: long enough to be cleaned as an article, unlike any other seed's.
    static func text(_ seed: UInt64) -> String {
        var rng = SplitMix(seed: seed)
        return (0..<150).map { _ in "w\(rng.nextInt() % 50_000)" }.joined(separator: " ")
    }

    /// Feed `n`: `own` items of its own, and one whose text it shares with its pair (n and n ^ 1), under
    /// a guid and link of its own: stored once new and once a duplicate, whichever daemon fetches which.
    static func feed(_ n: Int, own: Int) -> String {
        var out = #"<?xml version="1.0"?><rss version="2.0"><channel><title>Feed \#(n)</title>"#
        for i in 0..<own {
            out += "<item><guid>own-\(n)-\(i)</guid><link>https://feed\(n).example/\(i)</link><title>Item \(i) of feed \(n)</title>"
                + "<description>\(text(UInt64(n * 1000 + i + 1)))</description></item>"
        }
        out += "<item><guid>shared-\(n / 2)-from-\(n)</guid><link>https://feed\(n).example/shared</link><title>Shared story \(n / 2)</title>"
            + "<description>\(text(UInt64(900_000 + n / 2)))</description></item>"
        return out + "</channel></rss>"
    }

    /// One configuration of the 60 feeds for every daemon, each with its own log folder and socket
    /// (processes on one machine need their own; on several machines the same file would do).
    static func config(in folder: URL, daemon: String, database: String, server: LoopbackHTTPServer, lease: String,
                       perHost: Int, gap: String, timeout: String) throws -> URL {
        let feeds = (0..<feedCount).map { #"{"name": "feed-\#($0)", "url": "\#(server.baseURL)/feed-\#($0)", "interval": "1h"}"# }
        let json = """
            {
              "database": "\(database)",
              "logs": {"folder": "logs-\(daemon)", "level": "info"},
              "control": {"socket": "state/\(daemon).sock"},
              "metrics": {"textfile": ""},
              "service": {"lease": "\(lease)"},
              "fetch": {"timeout": "\(timeout)", "concurrency": 4, "per_host_connections": \(perHost), "per_host_gap": "\(gap)"},
              "feeds": [\(feeds.joined(separator: ",\n    "))]
            }
            """
        let url = folder.appendingPathComponent("\(daemon).json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// What the server saw: requests per path, and the most in flight at once.
    final class Traffic: Sendable {
        let state = Mutex<(count: [String: Int], inFlight: Int, peak: Int)>(([:], 0, 0))
        func begin(_ path: String) { state.withLock { $0.count[path, default: 0] += 1; $0.inFlight += 1; $0.peak = max($0.peak, $0.inFlight) } }
        func end() { state.withLock { $0.inFlight -= 1 } }
        var counts: [String: Int] { state.withLock { $0.count } }
        var peak: Int { state.withLock { $0.peak } }
    }

    /// A server for the 60 feeds; `delay` says how long a request for a path waits (the nth request for it).
    static func server(own: Int, traffic: Traffic, delay: @escaping @Sendable (String, Int) -> Double = { _, _ in 0 }) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            guard request.path.hasPrefix("/feed-"), let n = Int(request.path.dropFirst(6)), n < feedCount else { return HTTPResponse(status: 404, text: "") }
            traffic.begin(request.path)
            defer { traffic.end() }
            let wait = delay(request.path, traffic.counts[request.path] ?? 1)
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            return HTTPResponse(headers: ["Content-Type": "application/rss+xml"], text: feed(n, own: own))
        }
    }

    /// Every stored article's verdict is what one process would give: items of one feed alone are new,
    /// and of each shared text exactly one copy is new and the other a duplicate in its cluster.
    static func expectVerdicts(_ db: PGConnection, own: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try db.query("""
            SELECT r.guid, a.status, a.cluster_id FROM articles a JOIN clean_articles c ON c.id = a.clean_article_id
            JOIN raw_items r ON r.id = c.raw_item_id
            """)
        #expect(rows.count == feedCount * (own + 1), "one article per item, no more", sourceLocation: sourceLocation)
        var shared: [String: [(status: String, cluster: Int64)]] = [:]
        for i in 0..<rows.count {
            let guid = rows.string(i, 0)!, status = rows.string(i, 1)!, cluster = rows.int64(i, 2)!
            if guid.hasPrefix("own-") {
                #expect(status == "new", "\(guid) is \(status)", sourceLocation: sourceLocation)
            } else {
                shared[String(guid.split(separator: "-")[1]), default: []].append((status, cluster))
            }
        }
        #expect(shared.count == feedCount / 2, sourceLocation: sourceLocation)
        for (story, copies) in shared {
            let statuses = copies.map(\.status).sorted()
            #expect(copies.count == 2 && statuses[1] == "new" && statuses[0].hasSuffix("duplicate") && copies[0].cluster == copies[1].cluster,
                    "shared story \(story): \(copies)", sourceLocation: sourceLocation)
        }
        #expect(try db.query("SELECT (SELECT count(*) FROM clean_queue) + (SELECT count(*) FROM dedup_queue)").int(0, 0) == 0,
                "nothing left queued", sourceLocation: sourceLocation)
        #expect(try db.query("SELECT count(*) FROM raw_items").int(0, 0) == feedCount * (own + 1), sourceLocation: sourceLocation)
    }

    /// The log lines (JSON) of a daemon's log folder whose message starts with `message`.
    static func logLines(_ folder: URL, _ message: String) -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.reduce(0) { total, file in
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            return total + text.split(separator: "\n").filter { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return (object?["message"] as? String)?.hasPrefix(message) == true
            }.count
        }
    }

    /// How many leases a process holds now (feeds, or the stage queues' rows).
    static func leases(_ db: PGConnection, pid: Int32, in table: String) throws -> Int {
        try db.query("SELECT count(*) FROM \(table) WHERE lease_owner LIKE '%:' || $1 || ':%' AND leased_until > clock_timestamp()",
                     [String(pid)]).int(0, 0) ?? 0
    }

    @Test func threeOneShotDaemonsFetchEachFeedOnceAndShareTheDedupVerdicts() async throws {
        let traffic = Traffic()
        let server = try Self.server(own: 2, traffic: traffic)
        let database = try PostgresServer.shared().createDatabase("threedaemons")
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let gap = 0.05
        let configs = try ["a", "b", "c"].map {
            try Self.config(in: folder, daemon: $0, database: database, server: server, lease: "30s", perHost: 3, gap: "\(gap)s", timeout: "10s")
        }
        let winnowd = try TestPaths.binary("winnowd")
        async let a = runProcess(winnowd, ["--config", configs[0].path, "--once"], timeout: 120)
        async let b = runProcess(winnowd, ["--config", configs[1].path, "--once"], timeout: 120)
        async let c = runProcess(winnowd, ["--config", configs[2].path, "--once"], timeout: 120)
        for run in try await [a, b, c] { #expect(run.status == 0, "\(run.stderr.suffix(2000))") }

        let counts = traffic.counts
        #expect(counts.count == Self.feedCount && counts.values.allSatisfy { $0 == 1 }, "each feed fetched exactly once between the three: \(counts.filter { $0.value != 1 })")
        let fetchedBy = ["a", "b", "c"].map { Self.logLines(folder.appendingPathComponent("logs-\($0)"), "feed fetched") }
        #expect(fetchedBy.reduce(0, +) == Self.feedCount)
        #expect(fetchedBy.filter { $0 > 0 }.count >= 2, "the daemons shared the feeds: \(fetchedBy)")
        // One host for all 60 feeds: its limits held across the three daemons.
        #expect(traffic.peak <= 3, "at most per_host_connections requests in flight to the host: \(traffic.peak)")
        let arrivals = server.requests.map(\.arrival).sorted()
        let span = arrivals.last! - arrivals.first!
        #expect(span >= Double(Self.feedCount - 1) * gap * 0.9, "60 requests to one host \(gap) s apart take at least \(Double(Self.feedCount - 1) * gap) s between the three daemons: \(span) s")

        let db = try PGConnection(url: database)
        #expect(try db.query("SELECT count(*) FROM fetch_log").int(0, 0) == Self.feedCount)
        try Self.expectVerdicts(db, own: 2)
        #expect(try db.query("SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL").int(0, 0) == 0, "every lease given back")
        #expect(try db.query("SELECT count(*) FROM daemons").int(0, 0) == 0, "each daemon signed off as it stopped")
    }

    @Test func aKilledDaemonsQueuedItemsAreTakenOverWhenItsLeaseRunsOut() async throws {
        let traffic = Traffic()
        let own = 30  // enough items that cleaning them takes a while: the kill lands while the queue is leased
        let server = try Self.server(own: own, traffic: traffic)
        let database = try PostgresServer.shared().createDatabase("killed")
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lease = 4.0
        let configs = try ["a", "b"].map {
            try Self.config(in: folder, daemon: $0, database: database, server: server, lease: "\(Int(lease))s", perHost: 8, gap: "0.001s", timeout: "3s")
        }
        let db = try PGConnection(url: database)
        let first = try startDaemon(configs[0])
        defer { kill(first.processIdentifier, SIGKILL) }
        let pid = first.processIdentifier
        var held = (feeds: 0, queued: 0)
        try await waitUntil(timeout: 60) {
            // (Until the daemon has made the tables, there is nothing to count.)
            held = ((try? Self.leases(db, pid: pid, in: "feeds")) ?? 0,
                    ((try? Self.leases(db, pid: pid, in: "clean_queue")) ?? 0) + ((try? Self.leases(db, pid: pid, in: "dedup_queue")) ?? 0))
            return held.queued > 0
        }
        kill(pid, SIGKILL)
        let killedAt = Date()
        await waitForExit(first)
        #expect(first.terminationReason == .uncaughtSignal)
        let stillHeld = try Self.leases(db, pid: pid, in: "clean_queue") + Self.leases(db, pid: pid, in: "dedup_queue")
        #expect(stillHeld > 0, "the killed daemon held leases on queued items (\(held))")

        let second = try startDaemon(configs[1])
        defer { kill(second.processIdentifier, SIGKILL) }
        // `winnowctl status --db URL` lists the running daemon (its heartbeat), and no longer the killed
        // one: three of its beats (a third of its lease each) have passed.
        struct Status: Decodable { struct Daemon: Decodable { var pid: Int32 }; var daemons: [Daemon]? }
        try await waitUntil(timeout: 20) {
            (try? db.query("SELECT count(*) FROM daemons WHERE pid = $1", [String(second.processIdentifier)]).int(0, 0)) == 1
        }
        var listed: [Int32]?
        let deadline = Date().addingTimeInterval(lease * 2)
        repeat {
            let status = try await runProcess(try TestPaths.binary("winnowctl"), ["status", "--db", database, "--json"])
            #expect(status.status == 0, "\(status.stderr)")
            listed = try JSONDecoder().decode(Status.self, from: Data(status.stdout.utf8)).daemons?.map(\.pid)
            if listed == [second.processIdentifier] { break }
            try await Task.sleep(for: .milliseconds(200))
        } while Date() < deadline
        #expect(listed == [second.processIdentifier], "status lists the live daemon only: \(String(describing: listed))")
        // Its own items it works at once; the killed one's wait for their lease to run out.
        try await waitUntil(timeout: 90) {
            try db.query("SELECT count(*) FROM articles").int(0, 0) == Self.feedCount * (own + 1)
        }
        #expect(Date().timeIntervalSince(killedAt) >= lease - 1, "the killed daemon's items were taken only once its lease ran out")
        kill(second.processIdentifier, SIGTERM)
        #expect(await waitForExit(second, timeout: 30))
        #expect(second.terminationStatus == 0)

        try Self.expectVerdicts(db, own: own)
        #expect(try db.query("SELECT count(*) FROM clean_articles").int(0, 0) == Self.feedCount * (own + 1), "no item cleaned twice")
        #expect(try db.query("SELECT count(DISTINCT feed_id) FROM fetch_log").int(0, 0) == Self.feedCount, "every feed's fetch recorded")
    }

    @Test func aDaemonStoppedPastItsLeaseWritesNothingForTheFeedsItLost() async throws {
        let traffic = Traffic()
        // Until the daemon is stopped, requests are answered after 1 s: it has fetches in flight then.
        let slow = Atomic<Bool>(true)
        let server = try Self.server(own: 2, traffic: traffic, delay: { _, _ in slow.load(ordering: .relaxed) ? 1 : 0 })
        let database = try PostgresServer.shared().createDatabase("stopped")
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configs = try ["a", "b"].map {
            try Self.config(in: folder, daemon: $0, database: database, server: server, lease: "3s", perHost: 8, gap: "0.001s", timeout: "2s")
        }
        let db = try PGConnection(url: database)
        let stalled = try startDaemon(configs[0])
        defer { kill(stalled.processIdentifier, SIGKILL) }
        let pid = stalled.processIdentifier
        try await waitUntil(timeout: 30) { traffic.counts.count >= 4 }
        kill(pid, SIGSTOP)
        slow.store(false, ordering: .relaxed)
        let stoppedAt = Date()
        let lost = try db.query("SELECT name FROM feeds WHERE lease_owner LIKE '%:' || $1 || ':%'", [String(pid)])
        let lostFeeds = Set((0..<lost.count).map { lost.string($0, 0)! })
        #expect(!lostFeeds.isEmpty, "the stopped daemon held feeds")
        try await Task.sleep(for: .seconds(3.5))  // past its lease

        let other = try await runProcess(try TestPaths.binary("winnowd"), ["--config", configs[1].path, "--once"], timeout: 120)
        #expect(other.status == 0, "\(other.stderr.suffix(2000))")
        #expect(try db.query("SELECT count(*) FROM fetch_log").int(0, 0) == Self.feedCount, "the other daemon fetched every feed, the stopped one's too")

        // The stopped daemon held the host's slots too: the other waited for its lease, not for it.
        #expect(Date().timeIntervalSince(stoppedAt) < 30)
        kill(pid, SIGCONT)
        // It finishes the fetches it had in flight, and finds its leases gone.
        try await waitUntil(timeout: 30) {
            Self.logLines(folder.appendingPathComponent("logs-a"), "fetch not recorded") >= lostFeeds.count
        }
        kill(pid, SIGTERM)
        #expect(await waitForExit(stalled, timeout: 30))
        #expect(Self.logLines(folder.appendingPathComponent("logs-a"), "fetch not recorded") == lostFeeds.count)
        let perFeed = try db.query("SELECT f.name, count(l.id) FROM feeds f LEFT JOIN fetch_log l ON l.feed_id = f.id GROUP BY f.name")
        let doubled = (0..<perFeed.count).filter { perFeed.int($0, 1) != 1 }.map { perFeed.string($0, 0)! }
        #expect(doubled.isEmpty, "one recorded fetch per feed; the stopped daemon wrote nothing for \(doubled)")
        try Self.expectVerdicts(db, own: 2)
    }

    /// A restart, a failover or pg_terminate_backend closes the daemon's connections: it waits, connects
    /// again and goes on, as it does when a disk is full (it once stopped, exiting 0, and systemd's
    /// Restart=on-failure would not have started it again).
    @Test func aDaemonWhoseConnectionsAreClosedConnectsAgainAndGoesOn() async throws {
        let traffic = Traffic()
        let server = try Self.server(own: 1, traffic: traffic)
        let database = try PostgresServer.shared().createDatabase("reconnect")
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var json = try String(contentsOf: try Self.config(in: folder, daemon: "a", database: database, server: server, lease: "4s",
                                                             perHost: 8, gap: "0.001s", timeout: "3s"), encoding: .utf8)
        json = json.replacingOccurrences(of: #""interval": "1h""#, with: #""interval": "1s""#)
        let config = folder.appendingPathComponent("a.json")
        try json.write(to: config, atomically: true, encoding: .utf8)
        let db = try PGConnection(url: database)
        let daemon = try startDaemon(config)
        defer { kill(daemon.processIdentifier, SIGKILL) }
        let fetches = { (try? db.query("SELECT count(*) FROM fetch_log").int(0, 0)) ?? 0 }
        try await waitUntil(timeout: 30) { fetches() >= Self.feedCount }
        let terminated = try db.query("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """).int(0, 0) ?? 0
        #expect(terminated >= 2, "the daemon's connections were closed: \(terminated)")
        let before = fetches()
        try await waitUntil(timeout: 30) { fetches() >= before + Self.feedCount }
        #expect(daemon.isRunning, "the daemon went on")
        #expect(Self.logLines(folder.appendingPathComponent("logs-a"), "the database cannot be written") >= 1, "it said why it paused")
        kill(daemon.processIdentifier, SIGTERM)
        #expect(await waitForExit(daemon, timeout: 30))
        #expect(daemon.terminationStatus == 0)
    }

    @Test func aOneShotRunOnAnUnreachableServerSaysSoAndExits69() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("pipeline.json")
        try #"{"database": "postgresql://winnow:secret@127.0.0.1:1/news?connect_timeout=2", "feeds": []}"#.write(to: config, atomically: true, encoding: .utf8)
        let run = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"], timeout: 60)
        #expect(run.status == 69, "\(run.stderr)")
        #expect(run.stderr.contains("config: database: PostgreSQL postgresql://winnow:***@127.0.0.1:1/news"), "\(run.stderr)")
        #expect(!run.stderr.contains("secret"))
    }

    /// A daemon stopped with SIGTERM gives back the feeds it claimed and had not polled yet: the other
    /// daemons need not wait for its lease.
    @Test func aStoppingDaemonGivesBackTheFeedsItHadNotPolled() async throws {
        let traffic = Traffic()
        let server = try Self.server(own: 1, traffic: traffic, delay: { _, _ in 10 })
        let database = try PostgresServer.shared().createDatabase("release")
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try Self.config(in: folder, daemon: "a", database: database, server: server, lease: "1m", perHost: 8, gap: "0.001s", timeout: "30s")
        let db = try PGConnection(url: database)
        let daemon = try startDaemon(config)
        defer { kill(daemon.processIdentifier, SIGKILL) }
        let pid = daemon.processIdentifier
        // Four fetches in flight (fetch.concurrency), four more claimed and waiting for a slot.
        try await waitUntil(timeout: 30) { traffic.counts.count >= 4 && ((try? Self.leases(db, pid: pid, in: "feeds")) ?? 0) == 8 }
        kill(pid, SIGTERM)
        #expect(await waitForExit(daemon, timeout: 30))
        #expect(daemon.terminationStatus == 0)
        #expect(try db.query("SELECT count(*) FROM feeds WHERE leased_until > clock_timestamp()").int(0, 0) == 0, "no feed left leased")
    }
}
