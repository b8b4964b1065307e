import Foundation
import Logging
import Testing
import WinnowClean
import WinnowDedup
import WinnowFetch
@testable import WinnowStore
import WinnowTestSupport
@testable import WinnowPipeline

/// Feeds built to hurt, served by a real server on 127.0.0.1 and taken through a real poll and the
/// stages: each is stored whole and bounded, and nothing it carries reaches the stored text raw.
@Suite struct HostileFeedTests {
    func rss(_ items: String) -> Data { Data(#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>\#(items)</channel></rss>"#.utf8) }

    /// Polls one feed served as `body` into a fresh store, runs both stages, and hands the store over.
    func pollAndClean(_ body: Data, check: (ArticleStore, FeedState) throws -> Void) async throws {
        let server = try LoopbackHTTPServer { _ in HTTPResponse(headers: ["Content-Type": "application/rss+xml"], body: body) }
        defer { server.stop() }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try ArticleStore.open(path: folder.appendingPathComponent("db.sqlite").path)
        let feed = try store.register(feeds: [FeedRegistration(name: "f", url: server.baseURL + "/feed.xml")])[0]
        await testPoller(store, limits: FetchLimits(totalTimeout: 20, connectTimeout: 2)).poll(feed, interval: 900)
        // The stages are CPU work: off the cooperative pool, so other suites' loopback servers keep their threads.
        let stages = StageRunner(store: store, defaultCleaner: try Cleaner(), deduplicator: Deduplicator(parameters: DedupParameters()),
                                 logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        _ = try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try stages.drain() }) }.start()
        }
        try check(store, try #require(try store.feeds().first))
    }

    @Test func tenThousandItemsInOneFeedAreAllStoredOnce() async throws {
        let items = (0..<10_000).map { "<item><guid>g\($0)</guid><title>Item \($0)</title><description>Report number \($0) of ten thousand, w\($0 * 7919 % 10_007) w\($0 * 104_729 % 10_009).</description></item>" }
        try await pollAndClean(rss(items.joined())) { store, feed in
            #expect(feed.consecutiveErrors == 0 && feed.items == 10_000)
            let counts = try store.counts()
            #expect(counts.raw == 10_000 && counts.clean == 10_000 && counts.articles == 10_000)
            #expect(try store.scalar("SELECT count(DISTINCT guid) FROM raw_items") == 10_000)
            #expect(try store.countsAreConsistent())
        }
    }

    @Test func aMegabyteTitleIsKeptRawAndBoundedWhenCleaned() async throws {
        let title = String(repeating: "Breaking ", count: 120_000)  // about 1 MB
        try await pollAndClean(rss("<item><guid>big</guid><title>\(title)</title><description>The article under a very long title.</description></item>")) { store, _ in
            #expect(try store.scalar("SELECT length(title) FROM raw_items") >= 1_000_000)  // stage 1 keeps what was sent
            let cleaned = try store.scalar("SELECT length(title) FROM clean_articles")
            #expect(cleaned > 700 && cleaned <= Cleaner.maxTitleLength)
            #expect(try store.counts().articles == 1)
        }
    }

    @Test func nulBytesControlCharactersAndInvalidUTF8NeverReachTheStoredText() async throws {
        var body = rss("<item><guid>g1</guid><title>Title TITLE</title><description>A sentence with DIRT inside it, and more words after.</description></item>")
        // NUL, BEL and a malformed UTF-8 sequence in the title and the text.
        body = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "TITLE", with: "\u{0}\u{7}").utf8)
        let dirt: [UInt8] = [0x00, 0x07, 0xC3, 0x28, 0xFF]
        let marker = Data("DIRT".utf8)
        body.replaceSubrange(body.range(of: marker)!, with: dirt)
        try await pollAndClean(body) { (store: ArticleStore, feed: FeedState) throws in
            #expect(feed.consecutiveErrors == 0 && feed.items == 1)
            #expect(try store.counts().articles == 1)
            // No C0 control character other than the paragraph breaks survives into stage 2 (read back
            // through Swift: SQLite's own string functions stop at a NUL).
            let article = try #require(try store.article(id: 1))
            for (name, value) in [("title", article.title ?? ""), ("text", article.text)] {
                let controls = value.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" }
                #expect(controls.isEmpty, "\(name) holds \(controls.map { $0.value })")
            }
            #expect(article.text.hasSuffix("inside it, and more words after."), "\(article.text)")
            #expect(article.title == "Title")
        }
    }
}
