import Foundation
import Testing
import WinnowClean
import WinnowDedup
import WinnowFeeds
@testable import WinnowStore

@Suite struct ArticleStoreTests {
    func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("winnow-store-\(UUID().uuidString)/db.sqlite").path
    }

    func outcome(_ items: [FeedItem], etag: String? = nil, next: Double = 100) -> FetchOutcome {
        FetchOutcome(startedAt: 1, durationMS: 5, httpStatus: 200, bytes: 10, etag: etag, nextFetchAt: next, items: items)
    }

    @Test func itemsAreStoredOncePerFeedAndGuid() throws {
        let store = try ArticleStore.inMemory()
        let feeds = try store.register(feeds: [FeedRegistration(name: "a", url: "https://a.example/rss"),
                                               FeedRegistration(name: "b", url: "https://b.example/rss")])
        let items = [FeedItem(guid: "1", title: "One", content: "x"), FeedItem(guid: "2", title: "Two", content: "y")]
        #expect(try store.record(feedID: feeds[0].id, outcome: outcome(items, etag: "e1")) == 2)
        #expect(try store.record(feedID: feeds[0].id, outcome: outcome(items)) == 0)      // re-poll: nothing new
        #expect(try store.record(feedID: feeds[1].id, outcome: outcome(items)) == 2)      // same guids, other feed
        #expect(try store.counts().raw == 4)
        let a = try #require(try store.feeds().first { $0.name == "a" })
        #expect(a.etag == "e1")            // a later response without an ETag keeps the stored one
        #expect(a.items == 2)
        #expect(try store.scalar("SELECT count(*) FROM fetch_log") == 3)
    }

    @Test func failuresCountUpAndSuccessResetsThem() throws {
        let store = try ArticleStore.inMemory()
        let feed = try store.register(feeds: [FeedRegistration(name: "a", url: "https://a.example/rss")])[0]
        var failed = FetchOutcome(startedAt: 1, durationMS: 1, httpStatus: 500, bytes: 0, errorClass: "http-5xx", error: "HTTP 500", nextFetchAt: 50)
        try store.record(feedID: feed.id, outcome: failed)
        failed.nextFetchAt = 80
        try store.record(feedID: feed.id, outcome: failed)
        var state = try store.feeds()[0]
        #expect(state.consecutiveErrors == 2)
        #expect(state.lastError == "HTTP 500")
        #expect(state.nextFetchAt == 80)
        try store.record(feedID: feed.id, outcome: outcome([], next: 300))
        state = try store.feeds()[0]
        #expect(state.consecutiveErrors == 0)
        #expect(state.lastError == nil)
        #expect(try store.dueFeeds(now: 299).isEmpty)
        #expect(try store.dueFeeds(now: 300).count == 1)
        #expect(try store.nextDueTime() == 300)
    }

    @Test func removedFeedsStopBeingPolledButKeepTheirItems() throws {
        let store = try ArticleStore.inMemory()
        let feed = try store.register(feeds: [FeedRegistration(name: "a", url: "https://a.example/rss")])[0]
        try store.record(feedID: feed.id, outcome: outcome([FeedItem(guid: "1", content: "x")]))
        try store.register(feeds: [FeedRegistration(name: "b", url: "https://b.example/rss")])
        #expect(try store.dueFeeds(now: 1e12).map(\.name) == ["b"])
        #expect(try store.feeds().first { $0.name == "a" }?.active == false)
        #expect(try store.counts().raw == 1)
    }

    @Test func stagesAdvanceOneTransactionEachAndDedupClusters() throws {
        let store = try ArticleStore.inMemory()
        let dedup = Deduplicator()
        let cleaner = try Cleaner()
        let feed = try store.register(feeds: [FeedRegistration(name: "a", url: "https://a.example/rss")])[0]
        let story = (1...60).map { "Sentence number \($0) of the wire story says something new about the harbour." }.joined(separator: " ")
        let edited = story.replacingOccurrences(of: "number 7 ", with: "No. 7 ")
        let other = (1...60).map { "Unrelated line \($0) talks about orchards and frost in the valley." }.joined(separator: " ")
        try store.record(feedID: feed.id, outcome: outcome([
            FeedItem(guid: "1", link: "https://a.example/1", content: story),
            FeedItem(guid: "2", link: "https://a.example/2", content: story),
            FeedItem(guid: "3", link: "https://a.example/3", content: edited),
            FeedItem(guid: "4", link: "https://a.example/4", content: other),
        ]))
        for raw in try store.pendingClean() {
            let doc = cleaner.clean(document: raw.item.body!)
            try store.saveClean(rawItemID: raw.id, document: doc, textHash: dedup.textHash(doc.text))
        }
        #expect(try store.counts().pendingDedup == 4)
        let results = try store.pendingDedup().map { try store.deduplicate($0, with: dedup) }
        #expect(results.map(\.status) == [.new, .exactDuplicate, .duplicate, .new])
        #expect(results[1].duplicateOf == results[0].articleID)
        #expect(results[2].duplicateOf == results[0].articleID)
        #expect(results[2].clusterID == results[0].clusterID)
        #expect(results[2].similarity! > 0.8 && results[2].similarity! < 1)
        #expect(results[3].clusterID != results[0].clusterID)
        let clusters = try store.duplicateClusters()
        #expect(clusters.count == 1)
        #expect(clusters[0].canonicalArticleID == results[0].articleID)
        #expect(clusters[0].members.count == 3)
        // Exact duplicates are not indexed a second time.
        #expect(try store.scalar("SELECT count(*) FROM signatures") == 3)
        #expect(try store.scalar("SELECT count(DISTINCT article_id) FROM lsh_buckets") == 3)
    }

    @Test func signaturesSurviveARestartAndParameterChangesAreRefused() throws {
        let path = temporaryDatabase()
        let dedup = Deduplicator()
        let text = (1...80).map { "word\($0)" }.joined(separator: " ")
        do {
            let store = try ArticleStore.open(path: path)
            try store.checkDedupParameters(dedup)
            let raw = try store.addLocalItem(FeedItem(guid: "g1", content: text))
            let id = try store.saveClean(rawItemID: raw.id, document: CleanedDocument(title: nil, author: nil, text: text, removed: []),
                                         textHash: dedup.textHash(text))
            #expect(try store.deduplicate(try #require(try store.cleanArticle(id: id)), with: dedup).status == .new)
        }
        let reopened = try ArticleStore.open(path: path)
        try reopened.checkDedupParameters(dedup)
        let variant = text.replacingOccurrences(of: "word40 ", with: "changed ")
        let raw = try reopened.addLocalItem(FeedItem(guid: "g2", content: variant))
        let id = try reopened.saveClean(rawItemID: raw.id, document: CleanedDocument(title: nil, author: nil, text: variant, removed: []),
                                        textHash: dedup.textHash(variant))
        let result = try reopened.deduplicate(try #require(try reopened.cleanArticle(id: id)), with: dedup)
        #expect(result.status == .duplicate)  // found through buckets written before the restart
        #expect(try reopened.integrityCheck() == "ok")

        #expect(throws: StoreError.self) { try reopened.checkDedupParameters(Deduplicator(parameters: DedupParameters(permutations: 64))) }
        #expect(throws: StoreError.self) { try reopened.checkDedupParameters(Deduplicator(parameters: DedupParameters(shingleSize: 3))) }
    }

    @Test func readOnlyOpenOfAMissingDatabaseSaysWhatToDo() {
        do {
            _ = try ArticleStore.openReadOnly(path: "/nonexistent/winnow.sqlite")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("/nonexistent/winnow.sqlite"))
            #expect("\(error)".contains("start winnowd"))
        }
    }

    @Test func databaseIsInWALMode() throws {
        let store = try ArticleStore.open(path: temporaryDatabase())
        let mode = try store.db.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}

import GRDB
