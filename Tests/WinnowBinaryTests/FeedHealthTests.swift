import Foundation
import Testing
import WinnowTestSupport

/// Feed health through the real binaries: the metrics count feeds by state and age each failing feed's
/// last success, and `status` says why each feed's next poll is when it is.
@Suite struct FeedHealthTests {
    @Test func aFailingFeedShowsInTheMetricsAndStatusSaysWhyItsNextPollWaits() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try LoopbackHTTPServer { request in
            request.path == "/busy.xml" ? HTTPResponse(status: 503, headers: ["Retry-After": "120"], text: "busy")
                : HTTPResponse(status: 500, text: "broken")
        }
        defer { server.stop() }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        try """
            {"feeds": [{"name": "harbour", "url": "file:\(samples.path)/harbour-gazette.xml", "interval": "10m"},
                       {"name": "valley", "url": "file:\(samples.path)/valley-courier.atom", "interval": "10m"},
                       {"name": "broken", "url": "\(server.baseURL)/broken.xml"},
                       {"name": "busy", "url": "\(server.baseURL)/busy.xml"}],
             "metrics": {"textfile": "winnow.prom"}}
            """.write(to: config, atomically: true, encoding: .utf8)
        let run = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
        #expect(run.status == 0, "\(run.stderr)")

        let metrics = try String(contentsOf: folder.appendingPathComponent("winnow.prom"), encoding: .utf8)
        #expect(metrics.contains(#"winnow_feeds{state="ok"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"winnow_feeds{state="failing"} 1"#))
        #expect(metrics.contains(#"winnow_feeds{state="host-resting"} 1"#))
        #expect(metrics.contains(#"winnow_feeds{state="paused"} 0"#))
        // Never succeeded: -1; the healthy feed has no series.
        #expect(metrics.contains(#"winnow_feed_last_success_age_seconds{feed="broken"} -1"#))
        #expect(!metrics.contains(#"winnow_feed_last_success_age_seconds{feed="harbour"}"#))

        let status = try await runProcess(try TestPaths.binary("winnowctl"), ["status", "--config", config.path, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let reasons = try #require(json["next_poll"] as? [String: String])
        #expect(reasons["valley"] == "interval 10m", "\(reasons)")
        // The harbour sample says <ttl>15</ttl>: its 10-minute interval is lengthened.
        // (15 minutes plus up to 5% jitter.)
        #expect(reasons["harbour"]?.range(of: #"^server hint: 1[56]m instead of the interval 10m"#, options: .regularExpression) != nil, "\(reasons)")
        #expect(reasons["broken"]?.hasPrefix("backoff after 1 failed poll") == true, "\(reasons)")
        #expect(reasons["busy"]?.hasPrefix("host resting: the server answered 503") == true, "\(reasons)")
        let health = try #require(json["health"] as? [[String: Any]])
        #expect(health.first { $0["name"] as? String == "broken" }?["state"] as? String == "failing")

        let text = try await runProcess(try TestPaths.binary("winnowctl"), ["status", "--config", config.path])
        #expect(text.stdout.contains("feeds: 2 ok · 1 failing · 0 paused · 1 host-resting"), "\(text.stdout)")
        #expect(text.stdout.contains("broken: failing, 1 failed poll in a row, last success never"))
        #expect(text.stdout.contains("WHY NEXT"))
    }
}
