import Foundation
import Testing
import WinnowPostgres
import WinnowTestSupport

/// `winnowctl ingest --db postgresql://...` through the real binary, against a throw-away PostgreSQL.
@Suite struct PostgresIngestTests {
    struct Verdict: Decodable {
        var file: String
        var article_id: Int
        var status: String
        var cluster_id: Int
    }

    func ingest(_ db: String, _ files: [String], in folder: URL, config: URL? = nil) async throws -> [Verdict] {
        let options = config.map { ["--config", $0.path] } ?? []
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["ingest", "--db", db, "--json"] + options + files, currentDirectory: folder)
        #expect(run.status == 0, "\(run.stderr)")
        return try JSONDecoder().decode([Verdict].self, from: Data(run.stdout.utf8))
    }

    @Test func seedsGoIntoTheNamedDatabaseAndNoLocalFile() async throws {
        let seeds = try TestPaths.seeds()
        try #require(seeds.count == 5)
        let url = try PostgresServer.shared().createDatabase("seeds")
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let verdicts = try await ingest(url, seeds.map(\.path), in: folder)
        #expect(verdicts.map(\.status) == Array(repeating: "new", count: 5))
        let db = try PGConnection(url: url)
        #expect(try db.query("SELECT count(*) FROM articles WHERE status = 'new'").int(0, 0) == 5)
        #expect(try db.query("SELECT count(*) FROM clean_articles").int(0, 0) == 5)
        #expect(try db.query("SELECT count(*) FROM dedup_queue").int(0, 0) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "nothing is written beside the command")

        // The same seeds again: exact duplicates of the first five.
        let again = try await ingest(url, seeds.map(\.path), in: folder)
        #expect(again.map(\.status) == Array(repeating: "exact-duplicate", count: 5))
        #expect(again.map(\.cluster_id) == verdicts.map(\.cluster_id))
    }

    @Test func anUnreachableServerIsAClearErrorNamingTheURL() async throws {
        let run = try await runProcess(try TestPaths.binary("winnowctl"),
                                       ["ingest", "--db", "postgresql://winnow:secret@127.0.0.1:1/news?connect_timeout=2", try TestPaths.seeds()[0].path])
        #expect(run.status == 69, "\(run.stderr)")
        #expect(run.stderr.contains("postgresql://winnow:***@127.0.0.1:1/news"))
        #expect(!run.stderr.contains("secret"))
    }

    /// A labelled corpus of families (an article and its republished variants), the copies spread so
    /// that each family's members land in different thirds.
    func corpus(in folder: URL) throws -> [URL] {
        let truth = try TestPaths.requireShared("corpus/article-extraction/truth")
        let names = try FileManager.default.contentsOfDirectory(atPath: truth.path).filter { $0.hasSuffix(".txt") }.sorted()
        var rng = SplitMix(seed: 2222)
        var documents: [String] = []
        let boilerplate = ["Sign up for our morning newsletter and get the top stories in your inbox.",
                           "Share this article on Facebook, Twitter and LinkedIn.", "Comments are closed for this story."]
        for name in names {
            let text = try String(contentsOf: truth.appendingPathComponent(name), encoding: .utf8)
            var words = text.split(whereSeparator: \.isWhitespace).map(String.init)
            guard words.count >= 80 else { continue }
            documents.append(text)
            switch rng.nextInt() % 3 {
            case 0: continue  // a family of one
            case 1: documents.append(text + "\n" + boilerplate[rng.nextInt() % boilerplate.count])
            default:
                for _ in 0..<max(1, words.count / 50) { words[rng.nextInt() % words.count] = "edited" }
                documents.append(words.joined(separator: " "))
                documents.append("Update: new details emerge\n" + text)
            }
        }
        // Shuffled with a fixed seed: a family's copies end up in different thirds.
        for i in stride(from: documents.count - 1, to: 0, by: -1) { documents.swapAt(i, rng.nextInt() % (i + 1)) }
        return try documents.enumerated().map { i, text in
            let file = folder.appendingPathComponent(String(format: "doc-%04d.txt", i))
            try text.write(to: file, atomically: true, encoding: .utf8)
            return file
        }
    }

    /// Each article's cluster as the store ends up with it, through `winnowctl export` (an ingest's
    /// verdict gives the cluster an article joined; a later article may merge that cluster into another).
    func finalClusters(_ db: String, _ verdicts: [Verdict]) async throws -> [Verdict] {
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["export", "--db", db])
        #expect(run.status == 0, "\(run.stderr)")
        struct Exported: Decodable { var id: Int; var cluster_id: Int }
        let clusters = Dictionary(uniqueKeysWithValues: try run.stdout.split(separator: "\n").map {
            let article = try JSONDecoder().decode(Exported.self, from: Data($0.utf8))
            return (article.id, article.cluster_id)
        })
        return verdicts.map { verdict in
            var verdict = verdict
            verdict.cluster_id = clusters[verdict.article_id] ?? -1
            return verdict
        }
    }

    /// Pairs of files in one cluster.
    static func pairs(_ verdicts: [Verdict]) -> Set<[String]> {
        var pairs = Set<[String]>()
        for members in Dictionary(grouping: verdicts, by: \.cluster_id).values {
            let files = members.map { ($0.file as NSString).lastPathComponent }.sorted()
            for i in files.indices { for j in files.indices where j > i { pairs.insert([files[i], files[j]]) } }
        }
        return pairs
    }

    /// Three `winnowctl ingest` processes at once over interleaved thirds of the corpus end with exactly
    /// the clusters one SQLite process finds in file order: clusters are the connected groups of
    /// matching articles, whatever the arrival order, so any difference would be a race. Learned
    /// boilerplate is off: it makes cleaning depend on what each process saw before.
    @Test func threeConcurrentIngestsFindTheClustersOneSQLiteProcessFinds() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try corpus(in: folder).map(\.path)
        let config = folder.appendingPathComponent("pipeline.json")
        try #"{"feeds": [], "cleaning": {"learn": {"min_count": 0}}}"#.write(to: config, atomically: true, encoding: .utf8)
        let one = folder.appendingPathComponent("one.sqlite").path
        let sqlite = try await finalClusters(one, try await ingest(one, files, in: folder, config: config))
        let url = try PostgresServer.shared().createDatabase("three")
        // The schema first, so the three do not all wait on the migration lock at the start.
        _ = try PostgresStore.open(url: url)
        let thirds = (0..<3).map { part in stride(from: part, to: files.count, by: 3).map { files[$0] } }
        let runs = try await withThrowingTaskGroup(of: [Verdict].self) { group in
            for third in thirds { group.addTask { try await ingest(url, third, in: folder, config: config) } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        try #require(runs.count == files.count)
        let expected = Self.pairs(sqlite), found = Self.pairs(try await finalClusters(url, runs))
        try #require(expected.count >= 50, "the corpus has too few duplicate pairs to judge: \(expected.count)")
        let common = Double(expected.intersection(found).count)
        let precision = found.isEmpty ? 1 : common / Double(found.count), recall = common / Double(expected.count)
        #expect(found == expected, "pair precision \(precision), recall \(recall) against one SQLite process (\(expected.count) pairs)")
        let db = try PGConnection(url: url)
        #expect(try db.query("SELECT count(*) FROM articles").int(0, 0) == files.count, "every document stored once")
        #expect(try db.query("SELECT count(DISTINCT cluster_id) FROM articles").int(0, 0) == Set(sqlite.map(\.cluster_id)).count)
    }
}

/// `status`, `dups`, `show` and `export` with `--db postgresql://...` print what they print for the
/// same documents in a SQLite file.
@Suite struct PostgresReadCommandTests {
    func winnowctl(_ arguments: [String]) async throws -> String {
        let run = try await runProcess(try TestPaths.binary("winnowctl"), arguments)
        #expect(run.status == 0, "winnowctl \(arguments.joined(separator: " ")): \(run.stderr)")
        return run.stdout
    }

    /// An export line without its times (the two stores stored the documents at different moments).
    static func timeless(_ line: Substring) throws -> NSDictionary {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return object.filter { !$0.key.hasSuffix("_at") } as NSDictionary
    }

    @Test func readCommandsAgreeWithSQLite() async throws {
        let seeds = try TestPaths.seeds()
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = folder.appendingPathComponent("same.sqlite").path
        let url = try PostgresServer.shared().createDatabase("read")
        let files = seeds.map(\.path) + [seeds[2].path]
        for db in [sqlite, url] { _ = try await winnowctl(["ingest", "--db", db] + files) }

        let status = try JSONSerialization.jsonObject(with: Data(try await winnowctl(["status", "--db", url, "--json"]).utf8)) as? [String: Any]
        let stages = try #require(status?["stages"] as? [String: Any])
        #expect(stages["articles"] as? Int == 6 && stages["duplicates"] as? Int == 1 && stages["clusters"] as? Int == 5)
        #expect(stages["pendingClean"] as? Int == 0 && stages["pendingDedup"] as? Int == 0)

        // A process that heartbeats is listed, with the leases it holds.
        let daemon = try PostgresStore.open(url: url)
        try daemon.heartbeat()
        let listed = try JSONSerialization.jsonObject(with: Data(try await winnowctl(["status", "--db", url, "--json"]).utf8)) as? [String: Any]
        let daemons = try #require(listed?["daemons"] as? [[String: Any]])
        #expect(daemons.count == 1 && daemons.first?["id"] as? String == daemon.owner && daemons.first?["leases"] as? Int == 0)
        #expect(try await winnowctl(["status", "--db", url]).contains("shared store: 1 live process"))

        let dups = try await winnowctl(["dups", "--db", url])
        #expect(dups.contains("(2 articles)"))
        #expect(dups == (try await winnowctl(["dups", "--db", sqlite])))
        #expect(try await winnowctl(["show", "1", "--similar", "--db", url]) == (try await winnowctl(["show", "1", "--similar", "--db", sqlite])))

        let exported = try await winnowctl(["export", "--db", url]).split(separator: "\n")
        let expected = try await winnowctl(["export", "--db", sqlite]).split(separator: "\n")
        #expect(exported.count == 6)
        #expect(try exported.map(Self.timeless) == (try expected.map(Self.timeless)))
        #expect(try await winnowctl(["export", "--db", url, "--after", "4"]).split(separator: "\n").count == 2)

        let missing = try await runProcess(try TestPaths.binary("winnowctl"), ["show", "99", "--db", url])
        #expect(missing.status == 66, "\(missing.stderr)")
        let empty = try PostgresServer.shared().createDatabase("empty")
        let none = try await runProcess(try TestPaths.binary("winnowctl"), ["status", "--db", empty])
        #expect(none.status == 66 && none.stderr.contains("no database at"), "\(none.stderr)")
    }
}
