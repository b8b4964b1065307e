import Foundation
import Testing
import WinnowTestSupport

/// `winnowctl export` and `follow` through the real binary, on a store made from the seeds.
@Suite struct ExportTests {
    /// A store holding the five seeds and a copy of the last one wrapped in other boilerplate (an exact
    /// duplicate once cleaned): six articles, five stories.
    static func seedStore(_ folder: URL) async throws -> URL {
        let seeds = try TestPaths.seeds()
        try #require(seeds.count == 5, "expected the five seeds in \(TestPaths.shared.path)/seeds")
        let wrapped = folder.appendingPathComponent("wrapped.txt")
        try ("Your basket is empty.\nWorld\n" + String(contentsOf: seeds[4], encoding: .utf8)
             + "\nSign up for our daily newsletter to get the top stories.\nShare this story\n")
            .write(to: wrapped, atomically: true, encoding: .utf8)
        let db = folder.appendingPathComponent("store.sqlite")
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["ingest", "--db", db.path] + (seeds + [wrapped]).map(\.path))
        try #require(run.status == 0, "\(run.stderr)")
        return db
    }

    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        }
    }

    @Test func exportPrintsEveryArticleWithItsFieldsAndResumesAfterTheLastID() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = try await Self.seedStore(folder)
        let winnowctl = try TestPaths.binary("winnowctl")

        let all = try await runProcess(winnowctl, ["export", "--db", db.path])
        #expect(all.status == 0, "\(all.stderr)")
        let articles = try Self.lines(all.stdout)
        #expect(articles.count == 6)
        #expect(articles.map { $0["id"] as? Int } == [1, 2, 3, 4, 5, 6])
        for field in ["schema_version", "id", "url", "canonical_url", "feed", "title", "authors", "published_at", "fetched_at",
                      "date_source", "text", "cluster_id", "canonical", "status", "duplicate_of", "similarity"] {
            #expect(articles.allSatisfy { $0.keys.contains(field) }, "field \(field) missing")
        }
        // The cleaned text: the seeds' cart notice and the wrapper's boilerplate are gone.
        for article in articles {
            let text = try #require(article["text"] as? String)
            #expect(!text.isEmpty)
            #expect(!text.contains("Your cart is currently empty"))
            #expect(!text.contains("Your basket is empty"))
            #expect(!text.contains("Sign up for our daily newsletter"))
        }
        #expect((articles[0]["fetched_at"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)
        #expect(articles[5]["status"] as? String == "exact-duplicate")
        #expect(articles[5]["duplicate_of"] as? Int == 5)
        #expect(articles[5]["canonical"] as? Bool == false)
        #expect(articles[4]["canonical"] as? Bool == true)
        #expect(articles[5]["cluster_id"] as? Int == articles[4]["cluster_id"] as? Int)

        // Resuming after the last id printed prints nothing, and succeeds.
        let resumed = try await runProcess(winnowctl, ["export", "--db", db.path, "--after", "6"])
        #expect(resumed.status == 0)
        #expect(resumed.stdout.isEmpty)
        let tail = try Self.lines(try await runProcess(winnowctl, ["export", "--db", db.path, "--after", "4"]).stdout)
        #expect(tail.map { $0["id"] as? Int } == [5, 6])

        let canonical = try Self.lines(try await runProcess(winnowctl, ["export", "--db", db.path, "--canonical-only"]).stdout)
        #expect(canonical.count == 5)
        #expect(canonical.allSatisfy { $0["canonical"] as? Bool == true })

        #expect(try Self.lines(try await runProcess(winnowctl, ["export", "--db", db.path, "--feed", "local"]).stdout).count == 6)
        #expect(try await runProcess(winnowctl, ["export", "--db", db.path, "--since", "2999-01-01"]).stdout.isEmpty)
        #expect(try Self.lines(try await runProcess(winnowctl, ["export", "--db", db.path, "--since", "1h"]).stdout).count == 6)

        let typo = try await runProcess(winnowctl, ["export", "--db", db.path, "--feed", "nosuch"])
        #expect(typo.status == 66)
        #expect(typo.stderr.contains("no feed named \"nosuch\""))
        let badSince = try await runProcess(winnowctl, ["export", "--db", db.path, "--since", "last tuesday"])
        #expect(badSince.status == 64)
        #expect(badSince.stderr.contains("--since \"last tuesday\""))
    }

    @Test func exportToAGzipFileHoldsTheSameLines() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = try await Self.seedStore(folder)
        let winnowctl = try TestPaths.binary("winnowctl")
        let plain = try await runProcess(winnowctl, ["export", "--db", db.path])
        let output = folder.appendingPathComponent("articles.jsonl.gz")
        let run = try await runProcess(winnowctl, ["export", "--db", db.path, "--output", output.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("exported 6 articles to \(output.path)"))
        #expect(run.stderr.contains("--after 6"))
        let compressed = try Data(contentsOf: output)
        #expect(compressed.starts(with: [0x1F, 0x8B]))  // the gzip magic
        #expect(compressed.count < plain.stdout.utf8.count)
        let unzipped = try await runProcess(URL(fileURLWithPath: "/bin/gzip"), ["-dc", output.path])
        #expect(unzipped.status == 0, "\(unzipped.stderr)")
        #expect(unzipped.stdout == plain.stdout)
        // No partial file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".partial") }.isEmpty)

        let unwritable = try await runProcess(winnowctl, ["export", "--db", db.path, "--output", folder.appendingPathComponent("no/such/folder.jsonl").path])
        #expect(unwritable.status == 74)
        #expect(unwritable.stderr.contains("no/such/folder.jsonl"))
    }

    /// On a terminal (script(1) gives it one) a progress bar goes to standard error; in a pipe it does not.
    @Test func exportShowsAProgressBarOnATerminalOnly() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = try await Self.seedStore(folder)
        let winnowctl = try TestPaths.binary("winnowctl")
        let output = folder.appendingPathComponent("out.jsonl")
        let command = "\(winnowctl.path) export --db \(db.path) --output \(output.path)"
        let terminal = try await runProcess(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"])
        #expect(terminal.status == 0, "\(terminal.stdout)")
        #expect(terminal.stdout.contains("\rexport [" + String(repeating: "=", count: 30) + "] 6/6"), "\(terminal.stdout)")
        let piped = try await runProcess(winnowctl, ["export", "--db", db.path, "--output", output.path])
        #expect(!piped.stderr.contains("export ["))
        #expect(try String(contentsOf: output, encoding: .utf8).split(separator: "\n").count == 6)
    }

    @Test func followPrintsStoredArticlesAndThenEachNewOneAsItLands() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = try await Self.seedStore(folder)
        let winnowctl = try TestPaths.binary("winnowctl")
        let timeout = URL(fileURLWithPath: "/usr/bin/timeout")

        let fromStart = try await runProcess(timeout, ["30", winnowctl.path, "follow", "--db", db.path, "--after", "0", "--count", "6"])
        #expect(fromStart.status == 0, "\(fromStart.stderr)")
        #expect(try Self.lines(fromStart.stdout).map { $0["id"] as? Int } == [1, 2, 3, 4, 5, 6])

        // Without --after, follow starts after the newest article and waits for the next.
        async let next = runProcess(timeout, ["30", winnowctl.path, "follow", "--db", db.path, "--count", "1", "--interval", "0.1"])
        try await Task.sleep(for: .milliseconds(1500))
        let late = folder.appendingPathComponent("late.txt")
        try "A harbour crane collapsed on Tuesday morning, halting container traffic for most of the day while engineers inspected the quay and the port authority rerouted ships to the northern terminal."
            .write(to: late, atomically: true, encoding: .utf8)
        let ingest = try await runProcess(winnowctl, ["ingest", "--db", db.path, late.path])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let followed = try await next
        #expect(followed.status == 0, "follow did not see the new article: \(followed.stderr)")
        let lines = try Self.lines(followed.stdout)
        #expect(lines.map { $0["id"] as? Int } == [7])
        #expect((lines.first?["text"] as? String)?.contains("harbour crane") == true)
    }
}
