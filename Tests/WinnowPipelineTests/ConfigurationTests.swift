import Foundation
import Testing
import WinnowClean
import WinnowDedup
import WinnowTestSupport
@testable import WinnowPipeline

@Suite struct ConfigurationTests {
    func parse(_ json: String) throws -> PipelineConfiguration {
        try PipelineConfiguration.parse(Data(json.utf8), configPath: "/etc/winnow/pipeline.json")
    }

    func error(_ json: String) -> String? {
        do { _ = try parse(json); return nil } catch { return "\(error)" }
    }

    @Test func shippedConfigurationLoadsAndPointsAtBundledFeeds() throws {
        let config = try PipelineConfiguration.load(path: TestPaths.repository.appendingPathComponent("pipeline.json").path)
        #expect(config.feeds.count >= 3)
        for feed in config.feeds {
            let url = try #require(URL(string: feed.url))
            #expect(url.isFileURL, "\(feed.name) must run offline")
            #expect(FileManager.default.fileExists(atPath: url.path), "\(feed.url)")
        }
        #expect(config.databasePath == TestPaths.repository.appendingPathComponent("state/winnow.sqlite").path)
    }

    @Test func defaultsAndRelativePathsResolveAgainstTheConfigFolder() throws {
        let config = try parse(#"{"feeds": [{"name": "a", "url": "file:feeds/a.xml"}, {"name": "b", "url": "https://b.example/rss", "interval": "2h"}]}"#)
        #expect(config.feeds[0].url == "file:///etc/winnow/feeds/a.xml")
        #expect(config.feeds[0].interval == 900)
        #expect(config.feeds[1].interval == 7200)
        #expect(config.databasePath == "/etc/winnow/state/winnow.sqlite")
        #expect(config.logFolder == "/etc/winnow/logs")
        #expect(config.dedup.permutations == 128)
        #expect(config.dedup.shingleSize == 4)
        #expect(config.dedup.bounds == .sentences)
        #expect(config.perHostConnections == 2 && config.perHostGap == 0.25 && config.fetch.proxy == nil)
        let tuned = try parse(#"{"feeds": [{"name": "a", "url": "https://a.example/"}], "fetch": {"proxy": "socks5h://127.0.0.1:1080", "per_host_connections": 4, "per_host_gap": "1s"}}"#)
        #expect(tuned.fetch.proxy == "socks5h://127.0.0.1:1080" && tuned.perHostConnections == 4 && tuned.perHostGap == 1)
        let full = try parse(#"{"feeds": [{"name": "a", "url": "https://a.example/", "full_text": true, "allow_private_links": true}, {"name": "b", "url": "https://b.example/"}]}"#)
        #expect(full.feeds[0].fullText && full.feeds[0].allowPrivateLinks && !full.feeds[1].fullText && !full.feeds[1].allowPrivateLinks)
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a.example/", "full_text": "yes"}]}"#) == "config: feeds[0].full_text: must be true or false")
    }

    @Test func badFieldsAreRefusedWithTheirJSONPath() throws {
        let feeds = #"{"name": "a", "url": "https://a.example/"}, {"name": "b", "url": "https://b.example/"}"#
        #expect(error(#"{"feeds": [\#(feeds), {"name": "c", "url": "https://c.example/", "interval": "5x"}]}"#)
                == #"config: feeds[2].interval: "5x" is not a duration like "15m" (units: s, m, h, d)"#)
        // Durations past ten years (or past what a Double holds) are refused, not stored as infinity.
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a/", "interval": "1e400d"}]}"#)?.hasPrefix("config: feeds[0].interval:") == true)
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a/", "interval": 1e300}]}"#)?.hasPrefix("config: feeds[0].interval:") == true)
        #expect(try parse(#"{"feeds": []}"#).feeds.isEmpty)  // feeds may come later, by a reload
        #expect(error(#"{"feeds": [{"name": "a", "url": "htp://x"}]}"#)?.hasPrefix(#"config: feeds[0].url: "htp://x" is not an http(s) URL"#) == true)
        #expect(error(#"{"feeds": [\#(feeds)], "dedup": {"threshold": 1.5}}"#)?.hasPrefix("config: dedup.threshold:") == true)
        #expect(error(#"{"feeds": [\#(feeds)], "dedup": {"permutations": true}}"#)?.hasPrefix("config: dedup.permutations: must be a number") == true)
        #expect(error(#"{"feeds": [\#(feeds)], "fetch": {"timeout": "soon"}}"#)?.hasPrefix("config: fetch.timeout:") == true)
        #expect(error(#"{"feeds": [\#(feeds)], "logs": {"level": "loud"}}"#)?.hasPrefix("config: logs.level:") == true)
        #expect(error(#"{"feeds": [\#(feeds)], "fetch": {"proxy": "proxy.example:3128"}}"#)?.hasPrefix("config: fetch.proxy:") == true)
        #expect(error(#"{"feeds": [\#(feeds)], "fetch": {"per_host_connections": 0}}"#)?.hasPrefix("config: fetch.per_host_connections:") == true)
        #expect(error(#"{"feeds": [\#(feeds)], "fetch": {"per_host_gap": "-1s"}}"#)?.hasPrefix("config: fetch.per_host_gap:") == true)
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a.example/", "intervall": "5m"}]}"#)?.hasPrefix("config: feeds[0].intervall: unknown field") == true)
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a/"}, {"name": "a", "url": "https://b/"}]}"#)?.hasPrefix("config: feeds[1].name:") == true)
        #expect(error(#"{"feeds": [{"url": "https://a/"}]}"#)?.hasPrefix("config: feeds[0].name: missing") == true)
        #expect(error(#"{"database": "x.sqlite"}"#)?.hasPrefix("config: feeds: missing") == true)
        #expect(error(#"{"feeds": "https://a/"}"#) == "config: feeds: must be a JSON array")
        #expect(error("{not json")?.contains("is not valid JSON") == true)
        #expect(error(#"{"feeds": [\#(feeds)], "dedup": {"shingle_bounds": "paragraphs"}}"#) == "config: dedup.shingle_bounds: \"paragraphs\" is not one of sentences, none")
        #expect(try parse(#"{"feeds": [\#(feeds)], "dedup": {"shingle_bounds": "none"}}"#).dedup.bounds == ShingleBounds.none)
        #expect(try parse(#"{"feeds": [\#(feeds)]}"#).dedup.bounds == .sentences)
    }

    @Test func adaptiveIntervalsAreReadPerFeedOverTheDefault() throws {
        let config = try parse(#"""
            {"defaults": {"adaptive": true}, "feeds": [{"name": "a", "url": "https://a.example/"},
             {"name": "b", "url": "https://b.example/", "adaptive": false},
             {"name": "c", "url": "https://c.example/", "adaptive": {"min": "1m", "max": "2h"}}]}
            """#)
        #expect(config.feeds.map(\.adaptive) == [300...21_600, nil, 60...7200])
        #expect(try parse(#"{"feeds": [{"name": "a", "url": "https://a.example/"}]}"#).feeds[0].adaptive == nil)
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a/", "adaptive": {"min": "3h", "max": "1h"}}]}"#)?
            .hasPrefix("config: feeds[0].adaptive.min: must be more than 0 and no more than max") == true)
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a/", "adaptive": "fast"}]}"#)?.hasPrefix("config: feeds[0].adaptive: must be true, false or") == true)
        #expect(error(#"{"defaults": {"adaptive": {"mn": "1m"}}, "feeds": [{"name": "a", "url": "https://a/"}]}"#)?
            .hasPrefix("config: defaults.adaptive.mn: unknown field") == true)
    }

    @Test func pathsAreCheckedBeforeTheDaemonWritesThere() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let feeds = #""feeds": [{"name": "a", "url": "https://a.example/"}]"#
        #expect(error(#"{"database": "\#(folder.path)", \#(feeds)}"#) == "config: database: \"\(folder.path)\" is a folder; name a file in it")
        #expect(error(#"{"database": "\#(file.path)/db.sqlite", \#(feeds)}"#) == "config: database: \"\(file.path)\" is a file, not a folder")
        #expect(error(#"{"logs": {"folder": "\#(file.path)"}, \#(feeds)}"#) == "config: logs.folder: \"\(file.path)\" is a file; name a folder")
        #expect(error(#"{"metrics": {"textfile": "\#(folder.path)"}, \#(feeds)}"#)?.hasPrefix("config: metrics.textfile:") == true)
        #expect(error(#"{"control": {"socket": "/run/x\u0000y.sock"}, \#(feeds)}"#)?.hasPrefix("config: control.socket: holds a NUL") == true)
        #expect(try parse(#"{"database": "\#(folder.path)/new/winnow.sqlite", \#(feeds)}"#).databasePath == folder.path + "/new/winnow.sqlite")
    }

    /// A postgresql:// URL is a database several daemons share, not a path; what winnowd cannot do
    /// there yet is refused by its field, and the lease is checked against the fetch timeout.
    @Test func aPostgresDatabaseIsAURLAndUnsupportedFieldsAreRefused() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let feeds = #""feeds": [{"name": "a", "url": "https://a.example/"}]"#
        let url = "postgresql://winnow@127.0.0.1:5432/news"
        let configuration = try PipelineConfiguration.parse(Data(#"{"database": "\#(url)", \#(feeds)}"#.utf8),
                                                            configPath: folder.appendingPathComponent("pipeline.json").path)
        #expect(configuration.databasePath == url && configuration.isPostgres)
        #expect(configuration.lease == PipelineConfiguration.defaultLease)
        #expect(configuration.controlSocketPath == folder.appendingPathComponent("state/winnowd.sock").standardizedFileURL.path)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("postgresql:").path))
        #expect(try parse(#"{"database": "\#(url)", "service": {"lease": "45s"}, \#(feeds)}"#).lease == 45)
        #expect(error(#"{"database": "\#(url)", "service": {"lease": "20s"}, \#(feeds)}"#)?
            .hasPrefix("config: service.lease: 20.0 s must be longer than fetch.timeout (30.0 s)") == true)
        #expect(error(#"{"service": {"lease": "1m"}, \#(feeds)}"#)?.hasPrefix("config: service.lease: applies only with a postgresql:// database") == true)
        #expect(error(#"{"database": "\#(url)", "webhooks": [{"url": "https://hooks.example/in", "secret": "0123456789abcdef"}], \#(feeds)}"#)?
            .hasPrefix("config: webhooks: winnowd does not deliver webhooks from a postgresql:// database yet") == true)
        // The LSH index is pruned on PostgreSQL as on SQLite.
        #expect(try parse(#"{"database": "\#(url)", "dedup": {"retention_days": 30}, \#(feeds)}"#).retentionDays == 30)
    }

    @Test func cleaningRulesAreValidatedAndMergedPerFeed() throws {
        #expect(error(#"{"feeds": [], "cleaning": {"rules": [{"id": "x", "pattern": "(open"}]}}"#)
                == "config: cleaning.rules[0].pattern: (open is not a valid regular expression")
        #expect(error(#"{"feeds": [], "cleaning": {"disable": ["no.such.rule"]}}"#)?.hasPrefix("config: cleaning.disable[0]:") == true)
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a/", "cleaning": {"rules": [{"id": "y", "pattern": "p", "kind": "odd"}]}}]}"#)?
            .hasPrefix("config: feeds[0].cleaning.rules[0].kind:") == true)

        let config = try parse(#"""
            {"cleaning": {"disable": ["share.prompt"]},
             "feeds": [{"name": "a", "url": "https://a/", "cleaning": {"rules": [{"id": "site.app", "category": "promo", "pattern": "^Get the app"}]}},
                       {"name": "b", "url": "https://b/"}]}
            """#)
        #expect(!config.cleaningRules.contains { $0.id == "share.prompt" })
        #expect(config.feeds[0].cleaningRules.last?.id == "site.app")
        #expect(!config.feeds[0].cleaningRules.contains { $0.id == "share.prompt" })
        #expect(config.feeds[1].cleaningRules == config.cleaningRules)
    }

    @Test func ruleBoundsAndLearningAreReadAndChecked() throws {
        let config = try parse(#"""
            {"feeds": [], "cleaning": {"learn": {"min_count": 8, "max_share": 0.2},
             "rules": [{"id": "site.tip", "pattern": "tip line", "max_length": 120, "keywords": ["tip"]}]}}
            """#)
        #expect(config.learning == LearnedBoilerplate(minCount: 8, maxLineLength: 300, maxShare: 0.2))
        #expect(config.cleaningRules.last == BoilerplateRule(id: "site.tip", category: "custom", pattern: "tip line", maxLength: 120, keywords: ["tip"]))
        #expect(try parse(#"{"feeds": []}"#).learning == LearnedBoilerplate())
        #expect(error(#"{"feeds": [], "cleaning": {"learn": {"max_share": 2}}}"#)?.hasPrefix("config: cleaning.learn.max_share:") == true)
        #expect(error(#"{"feeds": [], "cleaning": {"learn": {"minimum": 3}}}"#)?.hasPrefix("config: cleaning.learn.minimum: unknown field") == true)
        #expect(error(#"{"feeds": [], "cleaning": {"rules": [{"id": "x", "pattern": "p", "keywords": ["", "b"]}]}}"#)
                == "config: cleaning.rules[0].keywords[0]: must be a non-empty string")
        // Learning is the whole configuration's: a feed's cleaning object does not take it.
        #expect(error(#"{"feeds": [{"name": "a", "url": "https://a/", "cleaning": {"learn": {}}}]}"#)?.hasPrefix("config: feeds[0].cleaning.learn: unknown field") == true)
    }
}
