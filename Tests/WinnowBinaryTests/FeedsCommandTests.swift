import Foundation
import Testing
import WinnowPipeline
import WinnowStore
import WinnowTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `winnowctl feeds` against a real configuration file: OPML out and in, add and remove.
@Suite struct FeedsCommandTests {
    func ctl(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runProcess(try TestPaths.binary("winnowctl"), arguments)
    }

    /// The shipped pipeline.json, its relative paths pointed at the repository.
    func sampleConfig(in folder: URL) throws -> URL {
        let text = try String(contentsOf: TestPaths.repository.appendingPathComponent("pipeline.json"), encoding: .utf8)
            .replacingOccurrences(of: "file:samples/", with: "file:\(TestPaths.repository.path)/samples/")
        let config = folder.appendingPathComponent("pipeline.json")
        try text.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    @Test func exportPrintsOPML2NamingTheSampleFeeds() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try sampleConfig(in: folder)
        let run = try await ctl(["feeds", "export", "--config", config.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains(#"<opml version="2.0">"#))
        for name in ["harbour-gazette", "valley-courier", "wire-digest"] {
            #expect(run.stdout.contains(#"text="\#(name)""#), "\(name)")
        }
        #expect(run.stdout.contains("xmlUrl=\"file://\(TestPaths.repository.path)/samples/harbour-gazette.xml\""))
        // It is XML a reader can parse.
        let parser = XMLParser(data: Data(run.stdout.utf8))
        #expect(parser.parse() && parser.parserError == nil)
    }

    @Test func importAddsNestedFeedsOnceAndTheConfigurationStillLoads() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try sampleConfig(in: folder)
        let opml = folder.appendingPathComponent("subscriptions.opml")
        try """
            <?xml version="1.0" encoding="UTF-8"?>
            <opml version="2.0">
              <head><title>Reader export</title></head>
              <body>
                <outline text="News">
                  <outline text="Coastal Times &amp; Tides" type="rss" xmlUrl="https://coastal.example/feed.xml"/>
                  <outline text="Regional">
                    <outline title="Hill Post" type="rss" xmlUrl="https://hillpost.example/rss"/>
                  </outline>
                </outline>
              </body>
            </opml>
            """.write(to: opml, atomically: true, encoding: .utf8)

        let first = try await ctl(["feeds", "import", opml.path, "--config", config.path, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(report["added"] as? [String] == ["coastal-times-tides", "hill-post"])
        let loaded = try PipelineConfiguration.load(path: config.path)
        #expect(loaded.feeds.count == 5)
        #expect(loaded.feeds.contains { $0.name == "hill-post" && $0.url == "https://hillpost.example/rss" })
        // The other settings came through the rewrite.
        #expect(loaded.feeds.first { $0.name == "wire-digest" }?.interval == 1800)

        let again = try await ctl(["feeds", "import", opml.path, "--config", config.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("imported 0 feeds"))
        #expect(again.stdout.contains("2 already configured"))
        #expect(try PipelineConfiguration.load(path: config.path).feeds.count == 5)

        let list = try await ctl(["feeds", "list", "--config", config.path])
        #expect(list.stdout.contains("coastal-times-tides"))
    }

    @Test func addRemoveAndBadInputsAreCheckedBeforeAnythingIsWritten() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try sampleConfig(in: folder)
        let before = try String(contentsOf: config, encoding: .utf8)

        // A URL the configuration refuses: 78, the field named, the file untouched.
        let bad = try await ctl(["feeds", "add", "broken", "htp://nowhere", "--config", config.path])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("feeds[3].url"))
        #expect(try String(contentsOf: config, encoding: .utf8) == before)
        let taken = try await ctl(["feeds", "add", "wire-digest", "https://other.example/rss", "--config", config.path])
        #expect(taken.status == 78)
        #expect(taken.stderr.contains("\"wire-digest\""))

        let add = try await ctl(["feeds", "add", "bay-news", "https://bay.example/rss", "--interval", "20m", "--config", config.path])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("winnowd is not running"))
        #expect(try PipelineConfiguration.load(path: config.path).feeds.first { $0.name == "bay-news" }?.interval == 1200)

        let remove = try await ctl(["feeds", "remove", "bay-news", "--config", config.path])
        #expect(remove.status == 0)
        let missing = try await ctl(["feeds", "remove", "bay-news", "--config", config.path, "--json"])
        #expect(missing.status == 66)
        #expect(missing.stdout.contains("no feed named \\\"bay-news\\\""))

        let notOPML = folder.appendingPathComponent("list.opml")
        try "<html><body>not a feed list</body></html>".write(to: notOPML, atomically: true, encoding: .utf8)
        let wrong = try await ctl(["feeds", "import", notOPML.path, "--config", config.path])
        #expect(wrong.status == 65)
        #expect(wrong.stderr.contains("list.opml is XML but not OPML"))
        try "<opml version=\"2.0\"><body><outline text=\"x\"".write(to: notOPML, atomically: true, encoding: .utf8)
        let broken = try await ctl(["feeds", "import", notOPML.path, "--config", config.path])
        #expect(broken.status == 65)
        #expect(broken.stderr.contains("is not well-formed XML (line 1"))
        let absent = try await ctl(["feeds", "import", folder.appendingPathComponent("none.opml").path, "--config", config.path])
        #expect(absent.status == 66)
    }
}

extension FeedsCommandTests {
    /// A feed added with `feeds add` is polled by the running daemon without a restart.
    @Test func theRunningDaemonIsToldToReload() async throws {
        let folder = try TestPaths.temporaryFolder("winnow-feeds")
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        try #"{"feeds": [{"name": "harbour", "url": "file:\#(samples.path)/harbour-gazette.xml", "interval": "1h"}]}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let daemon = try startDaemon(config)
        defer { kill(daemon.processIdentifier, SIGKILL) }
        let socket = folder.appendingPathComponent("state/winnowd.sock").path
        try await waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: socket) }

        let add = try await ctl(["feeds", "add", "valley", "file:\(samples.path)/valley-courier.atom", "--config", config.path])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("winnowd is reloading it"), "\(add.stdout)")
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        try await waitUntil(timeout: 30) {
            (try? ArticleStore.openReadOnly(path: database).feeds().first { $0.name == "valley" }?.lastFetchAt) != nil
        }
        // The fetch is recorded first; its articles are stored by the stages, which run beside polling.
        var export = try await ctl(["export", "--config", config.path, "--feed", "valley"])
        let deadline = Date().addingTimeInterval(30)
        while export.status == 0, export.stdout.isEmpty, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            export = try await ctl(["export", "--config", config.path, "--feed", "valley"])
        }
        #expect(export.status == 0, "\(export.stderr)")
        #expect(!export.stdout.isEmpty)
    }
}

#if canImport(FoundationXML)
import FoundationXML
#endif
