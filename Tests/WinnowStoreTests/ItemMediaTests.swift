import Foundation
import GRDB
import Testing
import WinnowClean
import WinnowDedup
import WinnowFeeds
@testable import WinnowStore

/// An item's files, picture, running time and place go into the store with it, in a SQLite file, and
/// come back out with the article it becomes.
@Suite struct ItemMediaTests {
    static func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("winnow-media-\(UUID().uuidString)/db.sqlite").path
    }

    static func podcastItem() -> FeedItem {
        var item = FeedItem(guid: "ep-1", link: "https://pod.example/1", title: "Episode 1", content: "The first episode, about harbours.")
        item.enclosures = [FeedEnclosure(url: "https://pod.example/1.mp3", type: "audio/mpeg", length: 12_345_678),
                           FeedEnclosure(url: "https://pod.example/1.jpg", medium: "image", width: 640, height: 480)]
        item.imageURL = "https://pod.example/cover.jpg"
        item.duration = 3723
        item.location = FeedLocation(type: "Point", coordinates: [[-71.92, 45.256]])
        return item
    }

    @Test func mediaIsStoredWithTheItemAndExportedWithItsArticle() throws {
        let path = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            let store = try ArticleStore.open(path: path)
            let feed = try store.register(feeds: [FeedRegistration(name: "pod", url: "https://pod.example/rss")])[0]
            var box = FeedItem(guid: "walk", title: "A walk", content: "A walk along the coast, from one cape to the next.")
            box.location = FeedLocation(type: "Box", coordinates: [[-71.032, 42.943], [-69.856, 43.039]])
            let plain = FeedItem(guid: "plain", title: "Plain", content: "An item with nothing but its text.")
            #expect(try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 1, durationMS: 1, httpStatus: 200, bytes: 1, nextFetchAt: 0,
                                                                            items: [Self.podcastItem(), box, plain])) == 3)
            // Only items that carry media get a row.
            #expect(try store.scalar("SELECT count(*) FROM item_media") == 2)
            // Re-polling the same items writes nothing again.
            #expect(try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 2, durationMS: 1, httpStatus: 200, bytes: 1, nextFetchAt: 0,
                                                                            items: [Self.podcastItem()])) == 0)
            #expect(try store.scalar("SELECT count(*) FROM item_media") == 2)
            let dedup = Deduplicator()
            for raw in try store.pendingClean() {
                let text = raw.item.content ?? ""
                _ = try store.saveClean(rawItemID: raw.id, document: CleanedDocument(title: raw.item.title, author: nil, text: text, removed: []),
                                        textHash: dedup.textHash(text))
            }
            _ = try store.deduplicate(store.pendingDedup(limit: 10), with: dedup, policy: CanonicalPolicy(), at: 10)
        }
        // Read back from the file by a new connection, as `winnowctl export` reads it.
        let store = try ArticleStore.openReadOnly(path: path)
        var exported: [String: ExportedArticle] = [:]
        try store.exportArticles(ExportFilter()) { exported[$0.title ?? ""] = $0 }
        #expect(exported.count == 3)
        let episode = try #require(exported["Episode 1"]?.media)
        #expect(episode.enclosures == Self.podcastItem().enclosures)
        #expect(episode.imageURL == "https://pod.example/cover.jpg")
        #expect(episode.duration == 3723)
        #expect(episode.location == GeoPoint(latitude: 45.256, longitude: -71.92))
        #expect(episode.geometry == Self.podcastItem().location)
        // A box is located at its centre, and keeps its shape.
        let walk = try #require(exported["A walk"]?.media)
        #expect(abs(walk.location!.latitude - 42.991) < 1e-9 && abs(walk.location!.longitude - -70.444) < 1e-9)
        #expect(walk.geometry?.type == "Box")
        #expect(walk.enclosures.isEmpty && walk.imageURL == nil && walk.duration == nil)
        #expect(exported["Plain"]?.media == nil)
        // `show` reads the same.
        let id = try #require(exported["Episode 1"]?.id)
        #expect(try store.article(id: id)?.media == episode)
        #expect(try store.article(id: try #require(exported["Plain"]?.id))?.media == nil)
    }

    /// A database made before media were stored gains the table when opened, keeps its items, and
    /// stores media from then on.
    @Test func anOlderDatabaseGainsTheTable() throws {
        let path = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v9: webhook outbox")
            #expect(try queue.read { try $0.tableExists("item_media") } == false)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO feeds (name, url) VALUES ('pod', 'https://pod.example/rss')")
                try db.execute(sql: "INSERT INTO raw_items (feed_id, guid, content_hash, fetched_at) VALUES (1, 'old', 'h', 1)")
            }
        }
        let store = try ArticleStore.open(path: path)
        #expect(try store.scalar("SELECT count(*) FROM raw_items") == 1)
        let feed = try #require(try store.feeds().first)
        #expect(try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 1, durationMS: 1, httpStatus: 200, bytes: 1, nextFetchAt: 0,
                                                                        items: [Self.podcastItem()])) == 1)
        let rawID = try store.scalar("SELECT id FROM raw_items WHERE guid = 'ep-1'")
        #expect(try store.media(rawItemID: Int64(rawID))?.duration == 3723)
        #expect(try store.media(rawItemID: 1) == nil)
    }
}
