import Foundation
import Testing
import WinnowStore
import WinnowTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The exit statuses and messages docs/cli.md promises, through the real binaries: each failure exits
/// with its kind's status, with and without --json, and names the input and what to do.
@Suite struct CLIContractTests {
    struct Failure: Decodable {
        var ok: Bool
        var error: String
        var exit_code: Int32
        var input: String?
    }

    func ctl(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProcess(try TestPaths.binary("winnowctl"), arguments)
    }

    func jsonFailure(_ run: (status: Int32, stdout: String, stderr: String)) throws -> Failure {
        try JSONDecoder().decode(Failure.self, from: Data(run.stdout.utf8))
    }

    @Test func missingInputsExit66NamingThem() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = try await ExportTests.seedStore(folder)

        let article = try await ctl(["show", "999", "--db", db.path])
        #expect(article.status == 66)
        #expect(article.stderr.contains("no article 999"))
        #expect(!article.stderr.contains("Usage:"))
        let articleJSON = try await ctl(["show", "999", "--db", db.path, "--json"])
        #expect(articleJSON.status == 66)
        let failure = try jsonFailure(articleJSON)
        #expect(failure.ok == false && failure.exit_code == 66 && failure.error.contains("no article 999"))

        let missingDB = folder.appendingPathComponent("nosuch.sqlite").path
        let noDB = try await ctl(["export", "--db", missingDB])
        #expect(noDB.status == 66)
        #expect(noDB.stderr.contains(missingDB))
        let noDocument = try await ctl(["clean", folder.appendingPathComponent("nosuch.html").path])
        #expect(noDocument.status == 66)
        #expect(noDocument.stderr.contains("cannot read \(folder.path)/nosuch.html: no such file"))
        let noConfig = try await ctl(["status", "--config", folder.appendingPathComponent("nosuch.json").path, "--json"])
        #expect(noConfig.status == 66)
        #expect(try jsonFailure(noConfig).error.contains("no --db given and no configuration"))
    }

    @Test func aFileThatIsNotAWinnowDatabaseExits65() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("notes.sqlite")
        try String(repeating: "not a database\n", count: 200).write(to: text, atomically: true, encoding: .utf8)
        for command in [["status"], ["export"], ["dups"]] {
            let run = try await ctl(command + ["--db", text.path])
            #expect(run.status == 65, "\(command)")
            #expect(run.stderr.contains("\(text.path) is not a SQLite database"), "\(run.stderr)")
            #expect(!run.stderr.contains("SQLite error 26"))
        }
    }

    @Test func binaryAndEmptyDocumentsAreRefusedByNameAndTheOthersStillProcessed() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty.html")
        try Data().write(to: empty)
        let blank = folder.appendingPathComponent("blank.txt")
        try "\n   \n".write(to: blank, atomically: true, encoding: .utf8)
        let binary = URL(fileURLWithPath: "/bin/ls")
        let seed = try #require(try TestPaths.seeds().first)

        let clean = try await ctl(["clean", binary.path, empty.path, seed.path, blank.path])
        #expect(clean.status == 65)
        #expect(clean.stderr.contains("/bin/ls is binary"))
        #expect(clean.stderr.contains("empty.html is empty"))
        #expect(clean.stderr.contains("blank.txt holds only white space"))
        #expect(clean.stdout.contains("== \(seed.path)"))  // the good file was still cleaned

        let cleanJSON = try await ctl(["clean", "--json", binary.path, seed.path])
        #expect(cleanJSON.status == 65)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(cleanJSON.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries[0]["exit_code"] as? Int == 65 && (entries[0]["error"] as? String)?.contains("/bin/ls") == true)
        #expect(entries[1]["text"] is String)

        let db = folder.appendingPathComponent("store.sqlite")
        let ingest = try await ctl(["ingest", "--db", db.path, binary.path, seed.path, empty.path])
        #expect(ingest.status == 65)
        #expect(ingest.stdout.contains("\(seed.path): article 1 new"))
        #expect(ingest.stderr.contains("/bin/ls is binary") && ingest.stderr.contains("empty.html is empty"))
        // Only the text document became an article.
        #expect(try ArticleStore.openReadOnly(path: db.path).counts().articles == 1)
    }

    @Test func cleanRulesListsRuleIdsAndCategories() async throws {
        let run = try await ctl(["clean", "--rules"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.range(of: #"commerce\.cart-empty\s+commerce"#, options: .regularExpression) != nil)
        #expect(run.stdout.contains("repeat.paragraph"))
        let json = try await ctl(["clean", "--rules", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]])
        #expect(rows.contains { $0["id"] == "byline.by-line" && $0["category"] == "byline" })
        let neither = try await ctl(["clean"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("--rules"))
    }

    @Test func bothBinariesAnswerVersion() async throws {
        for binary in ["winnowctl", "winnowd"] {
            let run = try await runProcess(try TestPaths.binary(binary), ["--version"])
            #expect(run.status == 0, "\(binary)")
            #expect(run.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(binary): \(run.stdout)")
        }
    }

    /// Help is text, exit 0: for the tool, for a command (`--help`, `-h`) and through `help COMMAND`.
    @Test func helpPrintsTheCommandsOverview() async throws {
        for arguments in [["--help"], ["export", "--help"], ["ingest", "-h"], ["help", "feeds"]] {
            let run = try await runProcess(try TestPaths.binary("winnowctl"), arguments)
            #expect(run.status == 0, "\(arguments)")
            #expect(run.stdout.hasPrefix("OVERVIEW:") && run.stdout.contains("USAGE:"), "\(arguments): \(run.stdout)\(run.stderr)")
        }
        let export = try await runProcess(try TestPaths.binary("winnowctl"), ["export", "--help"])
        #expect(export.stdout.contains("--after"))
    }

    @Test func aConfigurationWithAJSONSyntaxErrorIsRefusedWithLineAndColumn() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("pipeline.json")
        try "{\n  \"database\": \"x.sqlite\",\n  \"feeds\": [\n    {\"name\": \"a\" \"url\": \"http://127.0.0.1:9/feed\"}\n  ]\n}\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let daemon = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
        #expect(daemon.status == 78)
        #expect(daemon.stderr.contains("line 4, column 18"), "\(daemon.stderr)")
        #expect(daemon.stderr.contains(config.path))
        let status = try await ctl(["status", "--config", config.path, "--json"])
        #expect(status.status == 78)
        #expect(try jsonFailure(status).error.contains("line 4, column 18"))
        // A field error names the field.
        try #"{"feeds": [{"name": "a", "url": "htp://x"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let field = try await ctl(["feeds", "list", "--config", config.path])
        #expect(field.status == 78)
        #expect(field.stderr.contains("feeds[0].url"))
    }

    @Test func foldersWinnowdCannotWriteAreNamedByTheirConfigField() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // /sys refuses new files even to root, so this holds whoever runs the tests.
        let logs = folder.appendingPathComponent("logs.json")
        try #"{"database": "state/w.sqlite", "logs": {"folder": "/sys/winnow-test-logs"}, "feeds": []}"#.write(to: logs, atomically: true, encoding: .utf8)
        let noLogs = try await runProcess(try TestPaths.binary("winnowd"), ["--config", logs.path, "--once"])
        #expect(noLogs.status == 74)
        #expect(noLogs.stderr.contains("logs.folder") && noLogs.stderr.contains("/sys/winnow-test-logs"), "\(noLogs.stderr)")
        #expect(!noLogs.stderr.contains("NSCocoaErrorDomain"))

        let database = folder.appendingPathComponent("database.json")
        try #"{"database": "/sys/winnow-test/w.sqlite", "logs": {"folder": "logs"}, "feeds": []}"#.write(to: database, atomically: true, encoding: .utf8)
        let noDatabase = try await runProcess(try TestPaths.binary("winnowd"), ["--config", database.path, "--once"])
        #expect(noDatabase.status == 74)
        #expect(noDatabase.stderr.contains("config: database") && noDatabase.stderr.contains("/sys/winnow-test/w.sqlite"), "\(noDatabase.stderr)")
        #expect(!noDatabase.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func controlCommandsExitNonZeroWithAndWithoutJSON() async throws {
        let folder = try TestPaths.temporaryFolder("winnow-ctl")
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        let good = #"{"feeds": [{"name": "harbour", "url": "file:\#(samples.path)/harbour-gazette.xml", "interval": "1h"}]}"#
        try good.write(to: config, atomically: true, encoding: .utf8)

        // No daemon: 69, and a JSON object with --json.
        let down = try await ctl(["pause", "harbour", "--config", config.path, "--json"])
        #expect(down.status == 69)
        #expect(try jsonFailure(down).error.contains("cannot reach winnowd"))

        let daemon = try startDaemon(config)
        defer { kill(daemon.processIdentifier, SIGKILL) }
        let socket = folder.appendingPathComponent("state/winnowd.sock").path
        try await waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: socket) }

        let unknown = try await ctl(["pause", "nosuch", "--config", config.path, "--json"])
        #expect(unknown.status == 66)
        #expect(try jsonFailure(unknown).error.contains("no feed named nosuch"))
        let unknownText = try await ctl(["pause", "nosuch", "--config", config.path])
        #expect(unknownText.status == 66)
        #expect(unknownText.stderr.contains("no feed named nosuch"))

        // A reload the daemon refuses exits 78 and says why.
        try #"{"feeds": [{"name": "harbour", "url": "htp://broken"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let reload = try await ctl(["reload", "--socket", socket])
        #expect(reload.status == 78, "\(reload.stdout) \(reload.stderr)")
        #expect(reload.stderr.contains("feeds[0].url"))
        let reloadJSON = try await ctl(["reload", "--socket", socket, "--json"])
        #expect(reloadJSON.status == 78)
        #expect(try jsonFailure(reloadJSON).exit_code == 78)
        try good.write(to: config, atomically: true, encoding: .utf8)
        let fine = try await ctl(["reload", "--socket", socket])
        #expect(fine.status == 0)
        #expect(fine.stdout.contains("reloading"))
    }

    @Test func feedURLsThatFailSayHowWithTheirStatus() async throws {
        let server = try LoopbackHTTPServer { _ in HTTPResponse(status: 404, text: "gone") }
        defer { server.stop() }
        let missing = try await ctl(["parse-feed", "\(server.baseURL)/feed.xml"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("\(server.baseURL)/feed.xml answered HTTP 404"))
        // Nothing listens on port 9 of loopback (discard is not run here): unreachable.
        let unreachable = try await ctl(["parse-feed", "http://127.0.0.1:9/feed.xml", "--json"])
        #expect(unreachable.status == 69)
        #expect(try jsonFailure(unreachable).error.contains("cannot fetch http://127.0.0.1:9/feed.xml"))
        let usage = try await ctl(["export", "--after", "-3", "--db", "x.sqlite"])
        #expect(usage.status == 64)
    }

    @Test func reprocessAnswersWithJSON() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        try #"{"feeds": [{"name": "harbour", "url": "file:\#(samples.path)/harbour-gazette.xml"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let once = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
        #expect(once.status == 0, "\(once.stderr)")
        let run = try await ctl(["reprocess", "--from", "dedup", "--config", config.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["state"] as? String == "done")
        #expect((json["after"] as? [String: Any])?["articles"] as? Int == (json["before"] as? [String: Any])?["articles"] as? Int)
        let missing = try await ctl(["reprocess", "--from", "dedup", "--config", folder.appendingPathComponent("none.json").path, "--json"])
        #expect(missing.status == 66)
        #expect(try jsonFailure(missing).error.contains("no configuration at"))
    }

    @Test func aHundredThousandFeedsLoad() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("pipeline.json")
        let feeds = (0..<100_000).map { #"{"name": "feed-\#($0)", "url": "https://news-\#($0 % 5000).example/feed/\#($0).xml"}"# }
        try #"{"feeds": [\#(feeds.joined(separator: ",\n"))]}"#.write(to: config, atomically: true, encoding: .utf8)
        let run = try await ctl(["feeds", "list", "--config", config.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 100_000)
        #expect(rows.last?["name"] as? String == "feed-99999")
        // A duplicate name at the end is found and named.
        try #"{"feeds": [\#(feeds.joined(separator: ",\n")), {"name": "feed-7", "url": "https://x.example/f"}]}"#.write(to: config, atomically: true, encoding: .utf8)
        let duplicate = try await ctl(["feeds", "list", "--config", config.path])
        #expect(duplicate.status == 78)
        #expect(duplicate.stderr.contains("feeds[100000].name") && duplicate.stderr.contains("feeds[7]"))
    }
}
