import Foundation
import Testing
@testable import WinnowFeeds

func fixture(_ name: String) throws -> Data {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try Data(contentsOf: url)
}

@Suite struct FeedParserTests {
    @Test func readsRSS20IntoTheOneItemModel() throws {
        let result = try FeedParser.parse(try fixture("rss20.xml"))
        let feed = result.feed
        #expect(result.bozoReason == nil)
        #expect(feed.format == .rss20)
        #expect(feed.title == "Test Channel & Co")
        #expect(feed.link == "https://example.org/")
        #expect(feed.language == "en-gb")
        #expect(feed.ttlMinutes == 30)
        #expect(feed.items.count == 3)

        let first = feed.items[0]
        #expect(first.guid == "id-a")
        #expect(first.title == "First <item>")
        #expect(first.author == "Ann Author")
        #expect(first.summary == "Short summary.")
        #expect(first.content == "<p>Full <b>content</b> here.</p>")
        #expect(first.body == first.content)
        #expect(first.published == Date(timeIntervalSince1970: 1_055_217_600))
    }

    @Test func missingGuidFallsBackToLinkThenToAStableHash() throws {
        let items = try FeedParser.parse(try fixture("rss20.xml")).feed.items
        #expect(items[1].guid == "https://example.org/b")
        #expect(items[2].guid.hasPrefix("winnow:fnv1a64:"))
        // The fallback is stable: the same entry polled again maps to the same id.
        #expect(try FeedParser.parse(try fixture("rss20.xml")).feed.items[2].guid == items[2].guid)
    }

    @Test func unparseableDateIsKeptRawNotGuessed() throws {
        let item = try FeedParser.parse(try fixture("rss20.xml")).feed.items[1]
        #expect(item.published == nil)
        #expect(item.publishedRaw == "not a date at all")
    }

    @Test func readsAtom10PreferringTheAlternateLink() throws {
        let feed = try FeedParser.parse(try fixture("atom10.xml")).feed
        #expect(feed.format == .atom10)
        #expect(feed.title == "Atom Test")
        #expect(feed.link == "https://example.net/")
        #expect(feed.language == "fr")
        let entry = try #require(feed.items.first)
        #expect(entry.guid == "tag:example.net,2024:1")
        #expect(entry.link == "https://example.net/one")
        #expect(entry.author == "Bo Writer")
        #expect(entry.content == "<p>Content one</p>")
        #expect(entry.published == Date(timeIntervalSince1970: 1_704_157_445))  // 2024-01-02T01:04:05Z
    }

    @Test func truncatedFeedKeepsWhatWasReadAndSaysWhy() throws {
        let result = try FeedParser.parse(try fixture("truncated.xml"))
        #expect(result.bozoReason != nil)
        #expect(result.feed.items.first?.guid == "k1")
        #expect(result.feed.items.first?.summary == "Before the break.")
    }

    @Test func refusesDocumentsThatAreNotFeeds() {
        #expect(throws: FeedError.unknownFormat(root: "html")) {
            try FeedParser.parse(Data("<html><body>hi</body></html>".utf8))
        }
        #expect(throws: FeedError.self) { try FeedParser.parse(Data("this is not xml".utf8)) }
        #expect(throws: FeedError.self) { try FeedParser.parse(Data()) }
    }

    @Test func refusesHostileNestingQuickly() throws {
        let deep = String(repeating: "<a>", count: 100_000)
        let started = Date()
        #expect(throws: FeedError.self) { try FeedParser.parse(Data("<rss>\(deep)".utf8)) }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func parsesTheBundledSampleFeeds() throws {
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples")
        for name in ["harbour-gazette.xml", "valley-courier.atom", "wire-digest.xml"] {
            let result = try FeedParser.parse(try Data(contentsOf: samples.appendingPathComponent(name)))
            #expect(result.bozoReason == nil, "\(name)")
            #expect(result.feed.items.count >= 2, "\(name)")
            #expect(result.feed.items.allSatisfy { ($0.body?.count ?? 0) > 500 }, "\(name)")
        }
    }
}

@Suite struct FeedDateTests {
    static let utc: [(String, Double?)] = [
        ("Tue, 10 Jun 2003 04:00:00 GMT", 1_055_217_600),
        ("Tue, 10 Jun 2003 04:00:00 +0000", 1_055_217_600),
        ("10 Jun 2003 00:00:00 EDT", 1_055_217_600),
        ("Tue, 10 Jun 03 04:00:00 GMT", 1_055_217_600),       // two-digit year
        ("Tue, 10 Jun 2003 04:00 GMT", 1_055_217_600),        // no seconds
        ("Tue, 10 June 2003 06:00:00 +02:00", 1_055_217_600), // long month, colon in zone
        ("2003-06-10T04:00:00Z", 1_055_217_600),
        ("2003-06-10T06:00:00+02:00", 1_055_217_600),
        ("2003-06-10T04:00:00.500Z", 1_055_217_600.5),
        ("2003-06-10", 1_055_203_200),
        ("20030610T040000Z", 1_055_217_600),
        ("2003-06-31T00:00:00Z", nil),                        // no such day
        ("Tue, 10 Foo 2003 04:00:00 GMT", nil),
        ("", nil),
    ]

    @Test(arguments: utc)
    func parsesToUTC(_ input: String, _ expected: Double?) {
        #expect(FeedDate.parse(input)?.timeIntervalSince1970 == expected, "\(input)")
    }
}
