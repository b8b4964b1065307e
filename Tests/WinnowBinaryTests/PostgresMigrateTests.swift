import Foundation
import GRDB
import Logging
import Testing
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowPipeline
import WinnowPostgres
import WinnowStore
import WinnowTestSupport

/// `winnowctl migrate --from SQLITE --to postgresql://...` and `winnowctl reprocess --db postgresql://...`
/// through the real binary, against a throw-away PostgreSQL.
@Suite struct PostgresMigrateTests {
    static func winnowctl(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProcess(try TestPaths.binary("winnowctl"), arguments,
                             environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// Runs winnowctl and expects it to succeed; returns its output.
    static func succeed(_ arguments: [String]) async throws -> String {
        let run = try await winnowctl(arguments)
        #expect(run.status == 0, "winnowctl \(arguments.joined(separator: " ")): \(run.stderr)")
        return run.stdout
    }

    /// A SQLite store with something in every table migrate copies: local documents (families of copies,
    /// so clusters and duplicates), a feed with a fetch log and items, one with media, one still queued
    /// for cleaning, learned lines, and bucket rows in all three bucket tables (small limits move the
    /// recent rows into runs, and the runs into the keyed table).
    static func makeStore(_ path: String, in folder: URL) throws -> [String] {
        let files = Array(try PostgresIngestTests().corpus(in: folder).prefix(48))
        let store = try ArticleStore.open(path: path, recentBucketLimit: 200, runLimit: 2)
        let feed = try #require(try store.register(feeds: [FeedRegistration(name: "wire", url: "http://127.0.0.1:9/wire.xml")]).first)
        var podcast = FeedItem(guid: "wire-1", link: "http://127.0.0.1:9/one", title: "An episode",
                               content: "<p>" + String(repeating: "The council met on Tuesday to discuss the harbour budget. ", count: 12) + "</p>")
        podcast.enclosures = [FeedEnclosure(url: "http://127.0.0.1:9/one.mp3", type: "audio/mpeg", length: 1234)]
        podcast.duration = 1800
        podcast.location = FeedLocation(type: "Point", coordinates: [[4.9, 52.37]])
        let plain = FeedItem(guid: "wire-2", link: "http://127.0.0.1:9/two", title: "Second",
                             content: "<p>" + String(repeating: "Rain is expected over the northern coast tomorrow morning. ", count: 12) + "</p>")
        try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 1_764_700_000, durationMS: 12, httpStatus: 200, bytes: 900,
                                                                etag: "\"v1\"", nextFetchAt: 1_764_700_900, items: [podcast, plain]))
        let stages = StageRunner(store: store, defaultCleaner: try Cleaner(rules: BoilerplateRule.defaults),
                                 deduplicator: Deduplicator(parameters: DedupParameters()), learning: LearnedBoilerplate(minCount: 2),
                                 logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        for part in stride(from: 0, to: files.count, by: 12) {
            let texts = try files[part..<min(part + 12, files.count)].map { try String(contentsOf: $0, encoding: .utf8) }
            _ = try store.addLocalItems(texts.map { FeedItem(guid: "ingest:\(UUID().uuidString)", link: nil, content: $0) })
            _ = try stages.drain()
        }
        // Fetched after the last drain: stays queued for cleaning.
        try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 1_764_701_000, durationMS: 9, httpStatus: 500, bytes: 0,
                                                                errorClass: "http", error: "HTTP 500", nextFetchAt: 1_764_701_900,
                                                                items: [FeedItem(guid: "wire-3", link: nil, title: "Queued", content: "<p>Still waiting.</p>")]))
        return files.map(\.path)
    }

    /// Row counts of the tables a migration fills, on each side (SQLite's three bucket tables as one).
    static func sqliteCounts(_ path: String) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var counts: [String: Int] = [:]
            for table in ["feeds", "fetch_log", "raw_items", "item_media", "clean_articles", "clean_queue", "clusters", "articles",
                          "dedup_queue", "signatures", "learned_lines"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)")
            }
            counts["lsh_buckets"] = try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM lsh_buckets) + (SELECT coalesce(sum(length(pairs)) / 16, 0) FROM lsh_runs)
                     + (SELECT coalesce(sum(json_array_length(keys)), 0) FROM lsh_recent)
                """)
            counts["lsh_runs"] = try Int.fetchOne(db, sql: "SELECT count(*) FROM lsh_runs")
            counts["lsh_keyed"] = try Int.fetchOne(db, sql: "SELECT count(*) FROM lsh_buckets")
            return counts
        }
    }

    static func postgresCounts(_ url: String) throws -> [String: Int] {
        let db = try PGConnection(url: url)
        var counts: [String: Int] = [:]
        for table in ["feeds", "fetch_log", "raw_items", "item_media", "clean_articles", "clean_queue", "clusters", "articles",
                      "dedup_queue", "signatures", "learned_lines", "lsh_buckets"] {
            counts[table] = try db.query("SELECT count(*) FROM \(table)").int(0, 0)
        }
        return counts
    }

    /// Killed twice part-way (rows sent, not committed), then run to the end: the PostgreSQL store
    /// holds what the SQLite file holds, nothing doubled, and status, dups, show and export print the
    /// same on both; a document ingested afterwards gets the same verdict on both.
    @Test func aKilledMigrationGoesOnAndEndsWithTheSameStore() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = folder.appendingPathComponent("winnow.sqlite").path
        let files = try Self.makeStore(sqlite, in: folder)
        let expected = try Self.sqliteCounts(sqlite)
        try #require(expected["lsh_runs"]! > 0 && expected["lsh_keyed"]! > 0, "every bucket table holds rows: \(expected)")
        try #require(expected["item_media"] == 1 && expected["clean_queue"] == 1 && expected["learned_lines"]! > 0, "\(expected)")
        let url = try PostgresServer.shared().createDatabase("migrate")
        let migrate = ["migrate", "--from", sqlite, "--to", url, "--batch-rows", "7"]

        // Killed in its 6th batch (rows sent, not committed), then again in the 6th batch of the second run:
        // the target holds exactly the rows of the committed batches, and the second run went on from them.
        var copied = 0
        for round in 1...2 {
            let killed = try await Self.winnowctl(migrate, environment: ["WINNOW_MIGRATE_KILL_AFTER_BATCHES": "5"])
            #expect(killed.status == SIGKILL, "round \(round): \(killed.stderr)")
            let progress = try PGConnection(url: url).query("SELECT sum(rows), count(*) FILTER (WHERE source_table = 'finished') FROM migration_progress")
            let recorded = try #require(progress.int(0, 0))
            #expect(try Self.postgresCounts(url).values.reduce(0, +) == recorded, "round \(round): rows beyond the committed batches")
            #expect(recorded > copied && progress.int(0, 1) == 0, "round \(round): \(recorded) rows after \(copied)")
            copied = recorded
        }
        let done = try await Self.succeed(migrate + ["--json"])
        let output = try #require(try JSONSerialization.jsonObject(with: Data(done.utf8)) as? [String: Any])
        #expect(output["state"] as? String == "done")
        #expect(try Self.postgresCounts(url) == expected.filter { !["lsh_runs", "lsh_keyed"].contains($0.key) })
        let again = try await Self.succeed(migrate)
        #expect(again.contains("already"), "\(again)")

        for arguments in [["status", "--json"], ["dups"], ["show", "3", "--similar"], ["export"], ["export", "--feed", "wire"]] {
            let onSQLite = try await Self.succeed(arguments + ["--db", sqlite])
            let onPostgres = try await Self.succeed(arguments + ["--db", url])
            if arguments[0] == "status" {
                // The same stage counts and feed states; the SQLite file has no live processes list.
                let a = try #require(try JSONSerialization.jsonObject(with: Data(onSQLite.utf8)) as? [String: Any])
                let b = try #require(try JSONSerialization.jsonObject(with: Data(onPostgres.utf8)) as? [String: Any])
                #expect(a["stages"] as? NSDictionary == b["stages"] as? NSDictionary)
                #expect(a["feeds"] as? NSArray == b["feeds"] as? NSArray)
            } else {
                #expect(onSQLite == onPostgres, "winnowctl \(arguments.joined(separator: " ")) differs")
                #expect(!onSQLite.isEmpty)
            }
        }
        let exported = try await Self.succeed(["export", "--feed", "wire", "--db", url])
        #expect(exported.contains("one.mp3") && exported.contains("52.37"), "the item's media came along: \(exported)")

        // A copy of a stored document, edited: a near duplicate found through the migrated buckets,
        // stored under the next id on both.
        var words = try String(contentsOfFile: try #require(files.first), encoding: .utf8).split(separator: " ")
        words[words.count / 2] = "altered"
        let copy = folder.appendingPathComponent("copy.txt")
        try words.joined(separator: " ").write(to: copy, atomically: true, encoding: .utf8)
        let verdicts = try await [sqlite, url].asyncMap { try await Self.succeed(["ingest", "--db", $0, copy.path]) }
        #expect(verdicts[0] == verdicts[1])
        #expect(verdicts[0].contains(" duplicate, cluster "), "\(verdicts[0])")
    }

    /// Runs one statement on a SQLite file (outside the async context: GRDB's async overloads would be picked there).
    static func execute(_ path: String, _ sql: String) throws {
        try DatabaseQueue(path: path).write { try $0.execute(sql: sql) }
    }

    /// Each bad input is refused before anything is written, naming it, with the status docs/cli.md gives.
    @Test func badInputsAreRefusedNamingThem() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try PostgresServer.shared()
        let url = try server.createDatabase("refuse")
        func refused(_ from: String, _ to: String, _ status: Int32, _ words: String...) async throws {
            let run = try await Self.winnowctl(["migrate", "--from", from, "--to", to])
            #expect(run.status == status, "\(from) -> \(to): \(run.stderr)")
            for word in words { #expect(run.stderr.contains(word), "\(from) -> \(to): \(run.stderr) lacks \(word)") }
        }
        let missing = folder.appendingPathComponent("none.sqlite").path
        try await refused(missing, url, 66, missing)
        let text = folder.appendingPathComponent("notes.sqlite")
        try String(repeating: "not a database\n", count: 100).write(to: text, atomically: true, encoding: .utf8)
        try await refused(text.path, url, 65, text.path, "not a SQLite database")
        let other = folder.appendingPathComponent("other.sqlite").path
        try Self.execute(other, "CREATE TABLE recipes (name TEXT)")
        try await refused(other, url, 65, other, "not Winnow's")
        let newer = folder.appendingPathComponent("newer.sqlite").path
        _ = try ArticleStore.open(path: newer)
        try Self.execute(newer, "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        try await refused(newer, url, 65, newer, "newer Winnow", "v99: from the future")

        let good = folder.appendingPathComponent("good.sqlite").path
        _ = try ArticleStore.open(path: good)
        try await refused(good, "postgresql://winnow:secret@127.0.0.1:1/news?connect_timeout=2", 69, "postgresql://winnow:***@127.0.0.1:1/news")
        try await refused(good, "state/other.sqlite", 64, "--to takes a postgresql://")
        let foreign = try server.createDatabase("foreign")
        try PGConnection(url: foreign).execute("CREATE TABLE invoices (id int)")
        try await refused(good, foreign, 73, foreign, "invoices")
        let store = try server.createDatabase("store")
        _ = try await Self.succeed(["ingest", "--db", store, try TestPaths.seeds()[0].path])
        try await refused(good, store, 73, store, "holds a Winnow store already")
        // The target a migration began from another file (or from this one since changed) is refused too.
        _ = try await Self.succeed(["migrate", "--from", good, "--to", url])
        _ = try await Self.succeed(["ingest", "--db", good, try TestPaths.seeds()[0].path])
        try await refused(good, url, 73, "holds a migration from")
    }

    /// On a terminal (script(1) gives it one) a progress bar redrawn in place; in a pipe, progress lines.
    @Test func progressIsABarOnATerminalAndLinesInAPipe() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = folder.appendingPathComponent("p.sqlite").path
        _ = try await Self.succeed(["ingest", "--db", sqlite] + (try TestPaths.seeds().map(\.path)))
        let server = try PostgresServer.shared()
        let command = "\(try TestPaths.binary("winnowctl").path) migrate --from \(sqlite) --to \(try server.createDatabase("bar"))"
        let terminal = try await runProcess(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"])
        #expect(terminal.status == 0, "\(terminal.stdout)")
        #expect(terminal.stdout.contains("\rmigrate [" + String(repeating: "=", count: 30) + "] 237/237"), "\(terminal.stdout)")
        let piped = try await Self.winnowctl(["migrate", "--from", sqlite, "--to", try server.createDatabase("lines")])
        #expect(piped.status == 0 && piped.stderr.contains("migrate: 237/237 (100%)\n") && !piped.stderr.contains("["), "\(piped.stderr)")
    }

    /// `reprocess --db URL` rebuilds a PostgreSQL store with the same stage runner as SQLite: the same
    /// articles, clusters and verdicts from the same stored items, ids from 1 again as on SQLite.
    @Test func reprocessRebuildsAPostgresStoreAsSQLiteDoes() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let seeds = try TestPaths.seeds().map(\.path)
        let sqlite = folder.appendingPathComponent("re.sqlite").path
        let url = try PostgresServer.shared().createDatabase("reprocess")
        let config = folder.appendingPathComponent("pipeline.json")
        try #"{"feeds": [], "database": "unused.sqlite", "dedup": {"threshold": 0.6}}"#.write(to: config, atomically: true, encoding: .utf8)
        for db in [sqlite, url] { _ = try await Self.succeed(["ingest", "--db", db] + seeds + [seeds[1]]) }
        for stage in ["clean", "dedup"] {
            var outputs: [[NSDictionary]] = []
            for db in [sqlite, url] {
                let run = try await Self.succeed(["reprocess", "--from", stage, "--config", config.path, "--db", db, "--json"])
                let result = try #require(try JSONSerialization.jsonObject(with: Data(run.utf8)) as? [String: Any])
                let after = try #require(result["after"] as? [String: Any])
                #expect(after["articles"] as? Int == 6 && after["duplicates"] as? Int == 1 && after["pendingDedup"] as? Int == 0, "\(db): \(after)")
                let lines = try await Self.succeed(["export", "--db", db]).split(separator: "\n")
                let objects = try lines.map(PostgresReadCommandTests.timeless)
                #expect(objects.first?["id"] as? Int == 1, "\(db): ids start from 1 again")
                outputs.append(objects)
            }
            #expect(outputs[0] == outputs[1], "reprocess --from \(stage) differs between SQLite and PostgreSQL")
        }
        let missing = try await Self.winnowctl(["reprocess", "--from", "dedup", "--db", try PostgresServer.shared().createDatabase("none")])
        #expect(missing.status == 66, "\(missing.stderr)")
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
