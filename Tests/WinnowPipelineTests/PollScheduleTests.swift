import Foundation
import Logging
import Synchronization
import Testing
@testable import WinnowPipeline
import WinnowFetch
@testable import WinnowStore
import WinnowTestSupport

/// A poller over a real fetcher with short timeouts, logging nowhere.
func testPoller(_ store: ArticleStore, limits: FetchLimits = FetchLimits(totalTimeout: 5, connectTimeout: 2)) -> FeedPoller {
    FeedPoller(fetcher: Fetcher(limits: limits), store: store, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// The next due time a real poll stores, for each kind of answer a real server on 127.0.0.1 gives.
@Suite struct PollScheduleTests {
    static let rss = """
        <?xml version="1.0"?><rss version="2.0"><channel><title>t</title>TTL<item><guid>g1</guid><title>one</title>
        <description>The first item.</description></item></channel></rss>
        """

    /// Polls one feed on a fresh store once per response, in order, its server answering that response
    /// each time; returns the stored state after each poll and when that poll started.
    func polls(_ responses: [HTTPResponse], interval: Double = 900, adaptive: ClosedRange<Double>? = nil,
               limits: FetchLimits = FetchLimits(totalTimeout: 5, connectTimeout: 2),
               check: (ArticleStore) throws -> Void = { _ in }) async throws -> [(FeedState, Double)] {
        let next = Mutex(0)
        let server = try LoopbackHTTPServer { _ in responses[next.withLock { $0 }] }
        defer { server.stop() }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try ArticleStore.open(path: folder.appendingPathComponent("db.sqlite").path)
        var feed = try store.register(feeds: [FeedRegistration(name: "f", url: server.baseURL + "/feed.xml")])[0]
        let poller = testPoller(store, limits: limits)
        var states: [(FeedState, Double)] = []
        for index in responses.indices {
            next.withLock { $0 = index }
            let started = Date().timeIntervalSince1970
            await poller.poll(feed, options: .init(interval: interval, adaptive: adaptive), gate: nil)
            feed = try #require(try store.feeds().first { $0.name == "f" })
            states.append((feed, started))
        }
        try check(store)
        return states
    }

    func poll(_ response: HTTPResponse, interval: Double = 900) async throws -> (FeedState, Double) {
        try await polls([response], interval: interval)[0]
    }

    func feed(ttl: Int? = nil) -> String { Self.rss.replacingOccurrences(of: "TTL", with: ttl.map { "<ttl>\($0)</ttl>" } ?? "") }

    /// The stored delay lies within [low, high] seconds of the poll's start (a second of slack for the poll itself).
    func expectDelay(_ state: FeedState, _ started: Double, _ low: Double, _ high: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        let delay = state.nextFetchAt - started
        #expect(delay >= low - 1 && delay <= high + 1, "next poll in \(delay) s, expected \(low)...\(high)", sourceLocation: sourceLocation)
    }

    @Test func aSuccessWaitsItsIntervalWithJitterAndNoLess() async throws {
        let (state, started) = try await poll(HTTPResponse(headers: ["Cache-Control": "max-age=60"], text: feed()))
        #expect(state.consecutiveErrors == 0 && state.lastStatus == 200)
        expectDelay(state, started, 900, 900 * 1.05)  // a shorter max-age never shortens the interval
    }

    /// An RSS feed whose items were published at these times (seconds since 1970).
    func feed(publishedAt times: [Double]) -> String {
        let items = times.enumerated().map { i, t in
            "<item><guid>p\(i)</guid><title>item \(i)</title><pubDate>\(Self.httpDate(Date(timeIntervalSince1970: t)))</pubDate><description>Item \(i).</description></item>"
        }
        return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>\(items.joined())</channel></rss>"
    }

    @Test func anAdaptiveFeedIsPolledAtItsPublishingRateAndA304KeepsIt() async throws {
        let now = Date().timeIntervalSince1970
        let everyTwoHours = (0..<5).map { now - 3600 - Double($0) * 7200 }  // the newest an hour ago
        let states = try await polls([HTTPResponse(text: feed(publishedAt: everyTwoHours)), HTTPResponse(status: 304)], adaptive: 300...21_600)
        for (answer, (state, started)) in states.enumerated() {
            #expect(state.lastStatus == [200, 304][answer])
            expectDelay(state, started, 3600, 3600 * 1.05)  // half the two-hour gap, not the configured 15 minutes
        }
    }

    @Test func theAdaptiveIntervalFollowsTheRateWithinItsBounds() {
        let now = 1_800_000_000.0
        let bounds = 300.0...21_600
        func interval(_ times: [Double]) -> Double? { PollSchedule.adaptiveInterval(publishedAt: times, now: now, bounds: bounds) }
        // Every ten minutes: five minutes, the lower bound, shorter than a 15-minute configured interval.
        #expect(interval((0..<10).map { now - 60 - Double($0) * 600 }) == 300)
        // Hourly, with one burst of three in a minute: the median ignores the burst.
        let hourly = (0..<8).map { now - 600 - Double($0) * 3600 } + [now - 600 - 30, now - 600 - 60]
        #expect(interval(hourly) == 1800)
        // Hourly until three days ago: half the silence, capped at the upper bound.
        #expect(interval((0..<10).map { now - 3 * 86_400 - Double($0) * 3600 }) == 21_600)
        // Fewer than three distinct times (undated items all carry their fetch time): the configured interval.
        #expect(interval([now - 100, now - 100, now - 100, now - 5000]) == nil)
        // A date far in the future is a publisher's mistake, not a rate.
        #expect(interval([now + 86_400 * 365, now - 3600, now - 7200]) == nil)
    }

    @Test func maxAgeExpiresAndTTLLengthenTheIntervalUpToADay() async throws {
        var (state, started) = try await poll(HTTPResponse(headers: ["Cache-Control": "public, max-age=7200"], text: feed()))
        expectDelay(state, started, 7200, 7200 * 1.05)
        (state, started) = try await poll(HTTPResponse(text: feed(ttl: 120)))
        expectDelay(state, started, 7200, 7200 * 1.05)
        let inThreeHours = Date(timeIntervalSinceNow: 3 * 3600)
        (state, started) = try await poll(HTTPResponse(headers: ["Expires": Self.httpDate(inThreeHours)], text: feed()))
        expectDelay(state, started, 3 * 3600 - 1, 3 * 3600 * 1.05)
        (state, started) = try await poll(HTTPResponse(headers: ["Cache-Control": "max-age=31536000"], text: feed(ttl: 525_600)))
        expectDelay(state, started, 24 * 3600, 24 * 3600 * 1.05)  // a year is capped at a day
    }

    @Test func retryAfterInSecondsAndAsADateOutlastsTheBackoff() async throws {
        var (state, started) = try await poll(HTTPResponse(status: 429, headers: ["Retry-After": "3600"], text: "slow down"))
        #expect(state.consecutiveErrors == 1 && state.lastStatus == 429)
        expectDelay(state, started, 3600, 3600)
        let inTwoHours = Date(timeIntervalSinceNow: 2 * 3600)
        (state, started) = try await poll(HTTPResponse(status: 503, headers: ["Retry-After": Self.httpDate(inTwoHours)], text: "down"))
        #expect(state.lastStatus == 503)
        expectDelay(state, started, 2 * 3600 - 1, 2 * 3600)
        // A Retry-After shorter than the backoff leaves the backoff; a week is capped at a day.
        (state, started) = try await poll(HTTPResponse(status: 503, headers: ["Retry-After": "5"], text: "down"))
        expectDelay(state, started, 900 * 0.9, 900)
        (state, started) = try await poll(HTTPResponse(status: 429, headers: ["Retry-After": "604800"], text: "go away"))
        expectDelay(state, started, 24 * 3600, 24 * 3600)
    }

    @Test func failuresBackOffExponentiallyToACapAndARecoveryResetsTheInterval() async throws {
        let failure = HTTPResponse(status: 500, text: "oops")
        let states = try await polls(Array(repeating: failure, count: 7) + [HTTPResponse(text: feed())])
        for (n, (state, started)) in states.prefix(7).enumerated() {
            #expect(state.consecutiveErrors == n + 1 && state.lastStatus == 500 && state.active)
            let backoff = min(6 * 3600, 900 * pow(2, Double(n)))  // doubling from the interval, capped at 6 h, never disabled
            expectDelay(state, started, backoff * 0.9, backoff)
        }
        let (recovered, started) = states[7]
        #expect(recovered.consecutiveErrors == 0 && recovered.lastStatus == 200)
        expectDelay(recovered, started, 900, 900 * 1.05)
    }

    /// A permanent redirect moves the stored URL, which a restart with the same configuration keeps;
    /// a changed configuration URL wins.
    @Test func aPermanentRedirectMovesTheFeedAcrossRestarts() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/old.xml" ? HTTPResponse(status: 301, headers: ["Location": "/new.xml"])
                : HTTPResponse(headers: ["ETag": "\"v1\""], text: Self.rss.replacingOccurrences(of: "TTL", with: ""))
        }
        defer { server.stop() }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        let configured = [FeedRegistration(name: "f", url: server.baseURL + "/old.xml")]
        let store = try ArticleStore.open(path: path)
        let feed = try store.register(feeds: configured)[0]
        let poller = testPoller(store)
        await poller.poll(feed, interval: 900)
        var state = try #require(try store.feeds().first)
        #expect(state.url == server.baseURL + "/new.xml" && state.etag == "\"v1\"")
        // A restart registers the same configuration: the feed stays moved, validators kept.
        state = try ArticleStore.open(path: path).register(feeds: configured)[0]
        #expect(state.url == server.baseURL + "/new.xml" && state.etag == "\"v1\"")
        await poller.poll(state, interval: 900)
        #expect(server.requests.map(\.path) == ["/old.xml", "/new.xml", "/new.xml"])
        // An edited configuration is followed.
        state = try store.register(feeds: [FeedRegistration(name: "f", url: server.baseURL + "/other.xml")])[0]
        #expect(state.url == server.baseURL + "/other.xml" && state.etag == nil)
    }

    /// The conditional-GET trap: a server that changes one validator and drops the other. Each full
    /// response's validators are what the next request sends; a 304 keeps them.
    @Test func eachFullResponseSetsTheValidatorsTheNextRequestSends() async throws {
        let body = Self.rss.replacingOccurrences(of: "TTL", with: "")
        let answers = [
            HTTPResponse(headers: ["ETag": "\"v1\"", "Last-Modified": "Mon, 23 Nov 2026 06:00:00 GMT"], text: body),
            HTTPResponse(status: 304),
            HTTPResponse(headers: ["Last-Modified": "Mon, 23 Nov 2026 07:00:00 GMT"], text: body),  // the ETag dropped
            HTTPResponse(headers: ["ETag": "\"v3\""], text: body),  // and now Last-Modified dropped
            HTTPResponse(status: 304),
        ]
        let served = Mutex<[HTTPRequest]>([])
        let next = Mutex(0)
        let server = try LoopbackHTTPServer { request in
            served.withLock { $0.append(request) }
            return answers[next.withLock { n in defer { n += 1 }; return n }]
        }
        defer { server.stop() }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try ArticleStore.open(path: folder.appendingPathComponent("db.sqlite").path)
        var feed = try store.register(feeds: [FeedRegistration(name: "f", url: server.baseURL + "/feed.xml")])[0]
        let poller = testPoller(store)
        for _ in answers.indices {
            await poller.poll(feed, interval: 900)
            feed = try #require(try store.feeds().first)
        }
        let sent = served.withLock { $0 }.map { [$0.headers["if-none-match"], $0.headers["if-modified-since"]] }
        #expect(sent == [
            [nil, nil],
            ["\"v1\"", "Mon, 23 Nov 2026 06:00:00 GMT"],
            ["\"v1\"", "Mon, 23 Nov 2026 06:00:00 GMT"],  // the 304 kept both
            [nil, "Mon, 23 Nov 2026 07:00:00 GMT"],
            ["\"v3\"", nil],
        ])
        #expect(feed.etag == "\"v3\"" && feed.lastModified == nil && feed.lastStatus == 304)
    }

    @Test func hintsAreReadFromHeaders() {
        let now = 1_700_000_000.0
        #expect(PollSchedule.hints(headers: ["retry-after": "120"], now: now).retryAfter == 120)
        #expect(PollSchedule.hints(headers: ["retry-after": "Tue, 14 Nov 2023 22:46:40 GMT"], now: now).retryAfter == 2000)
        #expect(PollSchedule.hints(headers: ["retry-after": "soon"], now: now).retryAfter == nil)
        #expect(PollSchedule.hints(headers: ["cache-control": "no-cache, max-age=\"300\""], now: now).freshFor == 300)
        // max-age wins over Expires; an invalid Expires means already expired.
        #expect(PollSchedule.hints(headers: ["cache-control": "max-age=10", "expires": "Tue, 14 Nov 2023 22:15:20 GMT"], now: now).freshFor == 10)
        #expect(PollSchedule.hints(headers: ["expires": "0"], now: now).freshFor == 0)
        // Jitter only lengthens a success's delay, only shortens a failure's backoff.
        let hints = PollSchedule.Hints()
        #expect(PollSchedule.next(after: 0, interval: 100, succeeded: true, consecutiveErrors: 0, hints: hints, random: 0) == 100)
        #expect(PollSchedule.next(after: 0, interval: 100, succeeded: true, consecutiveErrors: 0, hints: hints, random: 1) == 105)
        #expect(PollSchedule.next(after: 0, interval: 100, succeeded: false, consecutiveErrors: 1, hints: hints, random: 1) == 100)
        #expect(PollSchedule.next(after: 0, interval: 100, succeeded: false, consecutiveErrors: 2, hints: hints, random: 0) == 180)
    }

    /// skipHours (GMT) and skipDays move a poll to the first hour allowed; skipping everything is ignored.
    @Test func skipHoursAndSkipDaysPushThePollToTheFirstAllowedHour() async throws {
        let monday0930 = 1_700_472_600.0  // Monday 2023-11-20 09:30:00 UTC
        #expect(PollSchedule.skipping(monday0930, hours: [], days: []) == monday0930)
        #expect(PollSchedule.skipping(monday0930, hours: [8, 10], days: []) == monday0930)
        #expect(PollSchedule.skipping(monday0930, hours: [9, 10, 11], days: []) == monday0930 + 2.5 * 3600)  // 12:00
        #expect(PollSchedule.skipping(monday0930, hours: [], days: [1]) == monday0930 + 14.5 * 3600)  // Tuesday 00:00
        #expect(PollSchedule.skipping(monday0930, hours: [0], days: [1, 2]) == monday0930 + (14.5 + 24 + 1) * 3600)  // Wednesday 01:00
        #expect(PollSchedule.skipping(monday0930, hours: Set(0..<24), days: []) == monday0930)
        // Through a real poll: a feed that skips the hours ahead is next due after them.
        let now = Date().timeIntervalSince1970
        let hour = Int(now / 3600) % 24
        let skipped = (0..<4).map { "<hour>\((hour + $0) % 24)</hour>" }.joined()
        let rss = Self.rss.replacingOccurrences(of: "TTL", with: "<skipHours>\(skipped)</skipHours>")
        let (state, _) = try await poll(HTTPResponse(text: rss), interval: 60)
        #expect(state.nextFetchAt == (Double(Int(now / 3600)) + 4) * 3600)
    }

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

/// Every kind of answer a feed server gives, through a real poll: what is stored about the feed and
/// when it is due next. Nothing here fails the daemon; each failure marks its feed and backs off.
@Suite struct ServerAnswerTests {
    let schedule = PollScheduleTests()
    let limits = FetchLimits(totalTimeout: 1.5, connectTimeout: 1, maxBodyBytes: 100_000, maxRedirects: 3)

    /// One failing poll: its stored status, error class, one error counted, due again after the first backoff.
    func expectFailure(_ response: HTTPResponse, status: Int?, errorClass: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (state, started) = try await schedule.polls([response], limits: limits) { store in
            // The fetch_log row names the failure's class (what metrics and `winnowctl status` group by).
            let logged = try store.scalar("SELECT count(*) FROM fetch_log WHERE error_class = '\(errorClass)'")
            #expect(logged == 1, "no fetch_log row of class \(errorClass)", sourceLocation: sourceLocation)
        }[0]
        #expect(state.lastStatus == status, sourceLocation: sourceLocation)
        #expect(state.consecutiveErrors == 1 && state.active && state.items == 0, sourceLocation: sourceLocation)
        #expect(state.lastError?.isEmpty == false, sourceLocation: sourceLocation)
        let delay = state.nextFetchAt - started
        #expect(delay >= 900 * 0.9 - 1 && delay <= 900 + 1, "due in \(delay) s", sourceLocation: sourceLocation)
    }

    @Test func failuresMarkTheFeedAndBackOff() async throws {
        try await expectFailure(HTTPResponse(status: 404, text: "not found"), status: 404, errorClass: "http-4xx")
        try await expectFailure(HTTPResponse(status: 410, text: "gone"), status: 410, errorClass: "http-4xx")
        try await expectFailure(HTTPResponse(status: 500, text: "oops"), status: 500, errorClass: "http-5xx")
        try await expectFailure(HTTPResponse(status: 302, headers: ["Location": "/feed.xml"]), status: nil, errorClass: "redirects")
        try await expectFailure(HTTPResponse(text: PollScheduleTests.rss, delay: 3), status: nil, errorClass: "timeout")
        try await expectFailure(HTTPResponse(headers: ["Content-Length": "5000"], body: Data(repeating: 60, count: 5000), stallAfterBytes: 20),
                                status: nil, errorClass: "timeout")
        try await expectFailure(HTTPResponse(body: Data(repeating: 65, count: 200_000)), status: nil, errorClass: "too-large")
        try await expectFailure(HTTPResponse(headers: ["Content-Encoding": "gzip"], body: gzipped(Data(repeating: 0x20, count: 5_000_000))),
                                status: nil, errorClass: "too-large")
        try await expectFailure(HTTPResponse(headers: ["Content-Type": "text/plain"], text: "this is not a feed at all"), status: 200, errorClass: "parse")
    }

    /// Bodies built to exhaust the daemon: each is cut off at its bound, and only its feed is marked.
    @Test func hostileBodiesAreCutOffAndMarkOnlyTheirFeed() async throws {
        // A deflate bomb: 5 MB of spaces in a few kB; the cap applies to the decoded bytes.
        let bomb = deflated(Data(repeating: 0x20, count: 5_000_000))
        #expect(bomb.count < 10_000)
        try await expectFailure(HTTPResponse(headers: ["Content-Encoding": "deflate"], body: bomb), status: nil, errorClass: "too-large")
        // A body without end and without a length.
        try await expectFailure(HTTPResponse(body: Data(repeating: 0x41, count: 16_384), endless: true), status: nil, errorClass: "too-large")
        // A slowloris body: a byte every 50 ms never finishes within the 1.5 s total timeout.
        try await expectFailure(HTTPResponse(body: Data(PollScheduleTests.rss.utf8), bytesPerSecond: 20), status: nil, errorClass: "timeout")
    }

    /// A wrong Content-Type or charset is a server's mistake, not the feed's: the items are kept, read right.
    @Test func wrongContentTypeAndCharsetStillGiveTheItems() async throws {
        var titles: [String] = []
        let latin1 = #"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g</guid><title>Caf\#u{e9} ouvert</title></item></channel></rss>"#
        let (state, started) = try await schedule.polls([
            HTTPResponse(headers: ["Content-Type": "text/html"], text: PollScheduleTests.rss.replacingOccurrences(of: "TTL", with: "")),
            HTTPResponse(headers: ["Content-Type": "application/rss+xml; charset=utf-8"], body: latin1.data(using: .isoLatin1)!),
        ], limits: limits) { store in titles = try store.pendingClean().compactMap(\.item.title) }[1]
        #expect(state.lastStatus == 200 && state.consecutiveErrors == 0 && state.items == 2)
        #expect(titles == ["one", "Café ouvert"])
        #expect(state.nextFetchAt - started >= 899)
    }
}
