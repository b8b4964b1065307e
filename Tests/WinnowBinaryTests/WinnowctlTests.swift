import Foundation
import Testing
import WinnowTestSupport

/// Drives the real `winnowctl` binary on the seed documents.
@Suite struct WinnowctlTests {
    struct Verdict: Decodable {
        var file: String
        var article_id: Int
        var status: String
        var cluster_id: Int
        var duplicate_of: Int?
        var similarity: Double?
        var removed: [Removal]
        struct Removal: Decodable {
            var text: String
            var ruleID: String
        }
    }

    func ingest(_ db: URL, _ files: [URL]) async throws -> [Verdict] {
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["ingest", "--db", db.path, "--json"] + files.map(\.path))
        #expect(run.status == 0, "\(run.stderr)")
        return try JSONDecoder().decode([Verdict].self, from: Data(run.stdout.utf8))
    }

    /// A file named twice in one command is stored twice: the second copy is the first's exact duplicate,
    /// and each gets its own line, in the order named.
    @Test func aFileNamedTwiceIsStoredTwiceAndReportedInOrder() async throws {
        let seed = try #require(try TestPaths.seeds().first)
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let verdicts = try await ingest(folder.appendingPathComponent("twice.sqlite"), [seed, seed])
        try #require(verdicts.count == 2)
        #expect(verdicts[0].status == "new" && verdicts[1].status == "exact-duplicate")
        #expect(verdicts[1].duplicate_of == verdicts[0].article_id && verdicts[0].article_id != verdicts[1].article_id)
    }

    /// Thousands of files go through in chunks (whole ones, then the last one's worth in halving
    /// parts): every file gets its verdict, in the order named, and a copy finds its original whichever
    /// chunk each was in.
    @Test func manyFilesGoThroughInChunksAndEachGetsItsVerdictInOrder() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = SplitMix(seed: 2_600)
        let vocabulary = (0..<4_000).map { i in "w" + String(i, radix: 36) + ["a", "e", "o", "u"][i % 4] }
        var texts: [String] = []
        for i in 0..<2_600 {
            // Every file from the 2,001st is a copy of the one 2,000 before it.
            if i >= 2_000 { texts.append(texts[i - 2_000]); continue }
            let sentence = { (0..<12).map { _ in vocabulary[Int(rng.next() % UInt64(vocabulary.count))] }.joined(separator: " ") + "." }
            texts.append((0..<5).map { _ in sentence() }.joined(separator: " "))
        }
        let files = try texts.enumerated().map { i, text in
            let file = folder.appendingPathComponent(String(format: "doc-%05d.txt", i))
            try Data(text.utf8).write(to: file)
            return file
        }
        let verdicts = try await ingest(folder.appendingPathComponent("many.sqlite"), files)
        try #require(verdicts.count == files.count, "\(verdicts.count) verdicts for \(files.count) files")
        #expect(verdicts.map(\.file) == files.map(\.path))
        #expect(verdicts.prefix(2_000).allSatisfy { $0.status == "new" }, "\(rng)")
        for i in 2_000..<2_600 {
            #expect(verdicts[i].status == "exact-duplicate" && verdicts[i].duplicate_of == verdicts[i - 2_000].article_id, "file \(i)")
        }
    }

    /// A folder argument is every file in it (subfolders too, hidden files left out), in path order; a
    /// Latin-1 page keeps its accents, read in the encoding it declares as `clean` reads it.
    @Test func foldersAreIngestedAndPagesReadInTheirOwnEncoding() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus.appendingPathComponent("b/.hidden"), withIntermediateDirectories: true)
        let body = "<p>Le café du port ferme ses portes après quarante ans de service aux marins du quartier.</p>"
        let page = "<html><head><meta charset=\"iso-8859-1\"><title>Caf\u{E9}</title></head><body><article>\(body)</article></body></html>"
        try #require(page.data(using: .isoLatin1)).write(to: corpus.appendingPathComponent("a.html"))
        try Data("A plain text note about the harbour, long enough to be an article of its own today.".utf8)
            .write(to: corpus.appendingPathComponent("b/c.txt"))
        try Data("hidden".utf8).write(to: corpus.appendingPathComponent("b/.hidden/d.txt"))
        let db = folder.appendingPathComponent("folder.sqlite")
        let verdicts = try await ingest(db, [corpus])
        #expect(verdicts.map { ($0.file as NSString).lastPathComponent } == ["a.html", "c.txt"])
        let show = try await runProcess(try TestPaths.binary("winnowctl"), ["show", "\(try #require(verdicts.first).article_id)", "--db", db.path])
        #expect(show.stdout.contains("Le café du port"), "\(show.stdout)")
    }

    @Test func seedsAreFiveNewArticlesAndTheirVariantsAreDuplicates() async throws {
        let seeds = try TestPaths.seeds()
        try #require(seeds.count == 5, "expected the five seeds in \(TestPaths.shared.path)/seeds")
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("ingest.sqlite")

        let first = try await ingest(db, seeds)
        try #require(first.count == 5)
        #expect(first.map(\.status) == ["new", "new", "new", "new", "new"])
        #expect(Set(first.map(\.cluster_id)).count == 5)
        let rules = Set(first.flatMap { $0.removed.map(\.ruleID) })
        for rule in ["commerce.cart-empty", "subscription.subscribe-prompt", "subscription.already-subscribed",
                     "ai-voice.generated", "bio.about-heading", "byline.by-line", "caption.credit", "related.trailing-teasers"] {
            #expect(rules.contains(rule), "\(rule)")
        }

        // A seed wrapped in other boilerplate, a seed with a few words changed, and a seed again.
        let original = try String(contentsOf: seeds[4], encoding: .utf8)
        let wrapped = folder.appendingPathComponent("wrapped.txt")
        try ("Your basket is empty.\nWorld\n" + original + "\nSign up for our daily newsletter to get the top stories.\nShare this story\n")
            .write(to: wrapped, atomically: true, encoding: .utf8)
        let edited = folder.appendingPathComponent("edited.txt")
        try original.replacingOccurrences(of: "further straining", with: "straining further")
            .replacingOccurrences(of: "gradual progress", with: "slow progress")
            .replacingOccurrences(of: "is notable", with: "is remarkable")
            .write(to: edited, atomically: true, encoding: .utf8)

        let second = try await ingest(db, [wrapped, edited, seeds[4]])
        try #require(second.count == 3)
        let seedArticle = first[4].article_id
        // Once the wrapper is removed the text is the seed's own: an exact duplicate.
        #expect(second[0].status == "exact-duplicate")
        #expect(second[0].duplicate_of == seedArticle)
        #expect(second[0].removed.contains { $0.ruleID == "newsletter.sign-up" })
        #expect(second[1].status == "duplicate")
        #expect(second[1].duplicate_of == seedArticle)
        #expect((second[1].similarity ?? 0) >= 0.8 && (second[1].similarity ?? 1) < 1)
        #expect(second[2].status == "exact-duplicate")
        #expect(second[2].duplicate_of == seedArticle)
        #expect(second.allSatisfy { $0.cluster_id == first[4].cluster_id })

        let dups = try await runProcess(try TestPaths.binary("winnowctl"), ["dups", "--db", db.path])
        #expect(dups.stdout.contains("cluster \(first[4].cluster_id) (4 articles)"))

        // Wrapped in boilerplate no rule knows, it is a near duplicate instead.
        let unknownWrapper = folder.appendingPathComponent("unknown-wrapper.txt")
        try ("Weekend edition: crosswords, puzzles and the week in pictures\n" + original + "\nPrinted from the archive of a regional daily; all rights reserved by the publisher.\n")
            .write(to: unknownWrapper, atomically: true, encoding: .utf8)
        let third = try await ingest(db, [unknownWrapper])
        try #require(third.count == 1)
        #expect(third[0].status == "duplicate")
        #expect(third[0].duplicate_of == seedArticle)
    }

    @Test func cleanWritesNothingAndExplainsEachRemoval() async throws {
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["clean", "--explain"] + TestPaths.seeds().map(\.path))
        #expect(run.status == 0)
        // Each removed line beside its rule, one a line.
        #expect(run.stdout.split(separator: "\n").contains { $0.contains("commerce.cart-empty") && $0.hasSuffix("Your cart is currently empty!") })
        #expect(run.stdout.contains("author: Tamilla Hasanova"))
        let missing = try await runProcess(try TestPaths.binary("winnowctl"), ["clean", "/no/such/file.txt"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot read /no/such/file.txt"))
    }

    @Test func parseFeedPrintsFeedparserShapedJSON() async throws {
        let sample = TestPaths.repository.appendingPathComponent("samples/valley-courier.atom")
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["parse-feed", sample.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["bozo"] as? Bool == false)
        #expect(json["version"] as? String == "atom10")
        #expect((json["feed"] as? [String: Any])?["title"] as? String == "Valley Courier")
        let entries = try #require(json["entries"] as? [[String: Any]])
        try #require(entries.count == 3)
        #expect(entries[0]["id"] as? String == "urn:valley-courier:2026:4471")
        // feedparser's time tuple: 2026-11-22 09:30:00 UTC, a Sunday (6), day 326 of the year.
        #expect(entries[0]["published_parsed"] as? [Int] == [2026, 11, 22, 9, 30, 0, 6, 326, 0])
    }

    /// Many sources, options between them: each source parsed once, in order, an option's value never
    /// taken for a source (the list is split before ArgumentParser sees it, as for clean and ingest).
    @Test func parseFeedTakesManySourcesWithOptionsAnywhere() async throws {
        let sample = TestPaths.repository.appendingPathComponent("samples/valley-courier.atom").path
        let run = try await runProcess(try TestPaths.binary("winnowctl"),
                                       ["parse-feed", sample, "--base", "http://127.0.0.1/feeds/", "--json"] + Array(repeating: sample, count: 300))
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 301)
        #expect(lines.allSatisfy { $0.contains("\"Valley Courier\"") })
        #expect(!run.stderr.contains("127.0.0.1/feeds"), "the --base value is not a source")
    }

    @Test func statusOnAMissingDatabaseSaysWhatToDo() async throws {
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["status", "--db", "/nonexistent/x.sqlite"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("no database at /nonexistent/x.sqlite"))
    }
}

@Suite struct WinnowctlDedupCommandTests {
    @Test func dedupParamsPrintsTheBandingAndItsCurve() async throws {
        let run = try await runProcess(try TestPaths.binary("winnowctl"), ["dedup-params", "--json"])
        #expect(run.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["bands"] as? Int == 32)
        #expect(json["rows"] as? Int == 4)
        let curve = try #require(json["curve"] as? [[String: Double]])
        let atThreshold = try #require(curve.first { abs(($0["similarity"] ?? 0) - 0.8) < 0.001 })
        #expect((atThreshold["probability"] ?? 0) >= 0.95)
        let text = try await runProcess(try TestPaths.binary("winnowctl"), ["dedup-params"])
        #expect(text.stdout.contains("32 bands x 4 rows"))
    }

    @Test func reprocessRebuildsStagesAndRefusesWhileTheDaemonHoldsTheDatabase() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        try """
            {"feeds": [{"name": "harbour", "url": "file:\(samples.path)/harbour-gazette.xml"},
                       {"name": "wire", "url": "file:\(samples.path)/wire-digest.xml"}]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let winnowd = try TestPaths.binary("winnowd"), winnowctl = try TestPaths.binary("winnowctl")
        #expect(try await runProcess(winnowd, ["--config", config.path, "--once"]).status == 0)

        let reprocess = try await runProcess(winnowctl, ["reprocess", "--from", "clean", "--config", config.path])
        #expect(reprocess.status == 0, "\(reprocess.stderr)")
        #expect(reprocess.stdout.contains("5 articles"))
        #expect(reprocess.stdout.contains("1 duplicates"))
        #expect(reprocess.stderr.contains("clean + dedup: 5/5"))  // progress lines when not on a terminal

        let show = try await runProcess(winnowctl, ["show", "1", "--similar", "--config", config.path, "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect((json["article"] as? [String: Any])?["id"] as? Int == 1)

        // While a daemon runs on the database, reprocess refuses instead of racing it.
        let daemon = try startDaemon(config)
        defer { daemon.terminate() }
        let lockPath = folder.appendingPathComponent("state/winnow.sqlite.lock").path
        let log = folder.appendingPathComponent("logs/winnowd.log")
        // The daemon logs "winnowd started" once it holds the lock and has migrated.
        // (The earlier --once run logged it too: wait for the second one.)
        try await waitUntil(timeout: 20) {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "winnowd started").count - 1 >= 2
        }
        // With the daemon running, reprocess is handed to it over the control socket...
        let handed = try await runProcess(winnowctl, ["reprocess", "--from", "dedup", "--config", config.path])
        #expect(handed.status == 0, "\(handed.stderr)")
        #expect(handed.stdout.contains("reprocessing from dedup"))
        try await waitUntil(timeout: 20) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains(#""reprocess.from":"dedup""#) }
        // ...while a command that would write beside it refuses instead of racing it.
        let refused = try await runProcess(winnowctl, ["ingest", "--db", folder.appendingPathComponent("state/winnow.sqlite").path,
                                                       try #require(try TestPaths.seeds().first).path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("in use by a running winnowd (lock \(lockPath) is held)"))
        daemon.terminate()
        await waitForExit(daemon)
    }
}
