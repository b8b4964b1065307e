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

    /// A store made before shingle bounds existed recorded the `none` fingerprint: it opens with
    /// `"shingle_bounds": "none"`, and the default refuses it with the way out named.
    @Test func storesWithoutShingleBoundsKeepWorkingWithNone() throws {
        let store = try ArticleStore.inMemory()
        let old = Deduplicator(parameters: DedupParameters(shingleSize: 5, bounds: .none))
        try store.checkDedupParameters(old)
        try store.checkDedupParameters(old)
        #expect {
            try store.checkDedupParameters(Deduplicator(parameters: DedupParameters()))
        } throws: { error in
            let message = "\(error)"
            return message.contains("reprocess --from dedup") && message.contains(#""shingle_size": 5, "shingle_bounds": "none""#)
        }
    }

    /// The write-ahead log is copied into the database file while the store is open and the writer
    /// goes on, by the background checkpoint: the writer's own starts only at 256 MB, so without it the
    /// file would keep its first few pages until the store closes.
    @Test func theLogIsCheckpointedInTheBackgroundWhileTheStoreIsOpen() async throws {
        let path = temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ArticleStore.open(path: path, checkpointBytes: 1 << 20)
        let feed = try store.register(feeds: [FeedRegistration(name: "a", url: "https://a.example/rss")])[0]
        let body = String(repeating: "A paragraph of an article that fills the log. ", count: 1_400)  // 64 KB
        for batch in 0..<8 {
            let items = (0..<8).map { FeedItem(guid: "\(batch)-\($0)", title: "T", content: body + "\(batch)-\($0)") }
            #expect(try store.record(feedID: feed.id, outcome: outcome(items)) == 8)
        }
        func fileSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 }
        let deadline = Date().addingTimeInterval(30)
        while try fileSize() < 2 << 20, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let size = try fileSize()
        #expect(size >= 2 << 20, "the database file holds \(size) bytes of the 4 MB written")
        #expect(try store.counts().raw == 64)
    }

    /// A store let go closes every file it opened (its checkpoint connection's too): a file system can
    /// then be remounted or unmounted. A checkpointer registered for the database's lifetime once kept
    /// the whole pool open.
    @Test func aStoreLetGoClosesItsFiles() throws {
        let path = temporaryDatabase()
        let folder = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func openFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { fd in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")).flatMap { $0.hasPrefix(folder) ? $0 : nil }
            }
        }
        do {
            let store = try ArticleStore.open(path: path)
            _ = try store.counts()
            #expect(!openFiles().isEmpty)
        }
        #expect(openFiles() == [])
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
        #expect(a.etag == nil)             // a later full response without an ETag clears it (it would be stale)
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
        #expect(try store.scalar("SELECT count(DISTINCT article_id) FROM lsh_recent") == 3)
        #expect(try store.countsAreConsistent())
        #expect(try store.today() == (articles: 4, duplicates: 2))
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

@Suite struct DedupStoreTests {
    /// Stores cleaned texts for the given feeds and deduplicates them in order.
    func ingest(_ store: ArticleStore, _ entries: [(feed: String, guid: String, url: String?, text: String)],
                dedup: Deduplicator = Deduplicator(), policy: CanonicalPolicy = CanonicalPolicy(), at time: Double = 1000,
                oneBatch: Bool = false) throws -> [DedupResult] {
        let feeds = try store.register(feeds: Set(entries.map(\.feed)).sorted().map { FeedRegistration(name: $0, url: "https://\($0).example/rss") })
        var results: [DedupResult] = []
        for e in entries {
            let feedID = feeds.first { $0.name == e.feed }!.id
            try store.record(feedID: feedID, outcome: FetchOutcome(startedAt: time, durationMS: 1, httpStatus: 200, bytes: 1, nextFetchAt: 0,
                                                                   items: [FeedItem(guid: e.guid, link: e.url, content: e.text)]))
            let raw = try store.pendingClean().first!
            let id = try store.saveClean(rawItemID: raw.id, document: CleanedDocument(title: e.guid, author: nil, text: e.text, removed: []),
                                         textHash: dedup.textHash(e.text))
            if oneBatch { continue }
            results.append(try store.deduplicate(try #require(try store.cleanArticle(id: id)), with: dedup, policy: policy, at: time))
        }
        if oneBatch { results = try store.deduplicate(store.pendingDedup(limit: entries.count), with: dedup, policy: policy, at: time) }
        return results
    }

    static func story(_ seed: Int, words: Int = 300) -> String {
        var state = StableHash.mix(UInt64(seed) &+ 0x51ed)  // distinct seeds give unrelated sequences
        return (0..<words).map { _ in
            state &+= 0x9e37_79b9_7f4a_7c15
            return "w\(StableHash.mix(state) % 30_000)"
        }.joined(separator: " ")
    }

    @Test func urlAndGloballyUniqueGuidAreExactDuplicatesButShortGuidsAreNot() throws {
        let store = try ArticleStore.inMemory()
        let results = try ingest(store, [
            ("a", "https://wire.example/story-1", "https://a.example/1", Self.story(1)),
            ("b", "https://wire.example/story-1", nil, Self.story(2)),        // same URL-form guid, other feed
            ("c", "c-1", "https://a.example/1", Self.story(3)),                // same article URL
            ("a", "123", nil, Self.story(4)),
            ("b", "123", nil, Self.story(5)),                                  // short guid: unique only in its feed
        ])
        #expect(results.map(\.status) == [.new, .exactDuplicate, .exactDuplicate, .new, .new])
        #expect(results[1].matchKind == "guid")
        #expect(results[2].matchKind == "url")
    }

    /// Text, URL and guid are looked up apart; the earliest article matched any way wins, and when one
    /// article matches more ways the text names the match.
    @Test func exactDuplicateIsTheEarliestArticleMatchedAnyWay() throws {
        let store = try ArticleStore.inMemory()
        let results = try ingest(store, [
            ("a", "1", "https://a.example/1", Self.story(11)),
            ("a", "2", "https://a.example/2", Self.story(12)),
            ("b", "3", "https://a.example/1", Self.story(12)),  // the text of article 2, the URL of article 1
            ("b", "4", "https://a.example/2", Self.story(12)),  // article 2's text and URL
        ])
        #expect(results.map(\.status) == [.new, .new, .exactDuplicate, .exactDuplicate])
        #expect(results[2].duplicateOf == results[0].articleID)
        #expect(results[2].matchKind == "url")
        #expect(results[3].duplicateOf == results[1].articleID)
        #expect(results[3].matchKind == "text")
    }

    @Test func canonicalIsEarliestByDefaultOrLongestOrFromAPreferredFeed() throws {
        let long = Self.story(7, words: 400)
        let short = long.split(separator: " ").prefix(360).joined(separator: " ")  // 90%: a resemblance match
        let entries = [("a", "1", nil as String?, short), ("b", "2", nil as String?, long)]

        let earliest = try ingest(try ArticleStore.inMemory(), entries)
        let store1 = try ArticleStore.inMemory()
        let longest = try ingest(store1, entries, policy: CanonicalPolicy(rule: .longest))
        let store2 = try ArticleStore.inMemory()
        let preferred = try ingest(store2, [("b", "1", nil, long), ("a", "2", nil, short)], policy: CanonicalPolicy(preferredFeeds: ["a"]))

        #expect(earliest[1].status == .duplicate)
        #expect(earliest[1].clusterID == earliest[0].clusterID)
        #expect(try store1.duplicateClusters()[0].canonicalArticleID == longest[1].articleID)
        #expect(try store2.duplicateClusters()[0].canonicalArticleID == preferred[1].articleID)
        // Cluster ids do not change when the canonical article does.
        #expect(longest[1].clusterID == longest[0].clusterID)
    }

    @Test func truncatedCopyJoinsByContainment() throws {
        let store = try ArticleStore.inMemory()
        let text = Self.story(11, words: 500)
        let truncated = text.split(separator: " ").prefix(300).joined(separator: " ")
        let results = try ingest(store, [("a", "1", nil, text), ("b", "2", nil, truncated)])
        #expect(results[1].status == .duplicate)
        #expect(results[1].matchKind == "containment")
        #expect((results[1].containment ?? 0) >= 0.9)
    }

    @Test func pruningDropsOldBucketsOnlyAndIsResumable() throws {
        // Two articles' rows make a run, three runs are merged into lsh_buckets: articles 1-8 end there,
        // 9 and 10 in a run, 11 in lsh_recent. As the run holds article 9, which the window drops, the
        // run and the recent row go into lsh_buckets first, where the dropped articles' rows are deleted.
        let store = try ArticleStore.inMemory(recentBucketLimit: 2 * 32, runLimit: 3)
        let dedup = Deduplicator()
        _ = try ingest(store, (1...9).map { ("a", "\($0)", nil, Self.story(20 + $0)) }, at: 100)
        _ = try ingest(store, (10...11).map { ("a", "\($0)", nil, Self.story(20 + $0)) }, at: 10_000)
        #expect(try store.scalar("SELECT count(DISTINCT article_id) FROM lsh_buckets") == 8)
        #expect(try Self.rowsInRuns(store) == 2 * 32)
        #expect(try store.scalar("SELECT count(*) FROM lsh_recent") == 1)
        #expect(try store.bucketRowCount() == 11 * 32)
        #expect(try store.pruneIndex(createdBefore: 5_000, with: dedup) == 9)
        #expect(try store.scalar("SELECT count(*) FROM lsh_recent") == 0 && Self.rowsInRuns(store) == 0)
        #expect(try store.db.read { try Int64.fetchAll($0, sql: "SELECT DISTINCT article_id FROM lsh_buckets ORDER BY 1") } == [10, 11])
        #expect(try store.bucketRowCount() == 2 * 32)
        // Nothing left to do, and nothing merged: the writer's copy need not be reloaded.
        let generation = try store.scalar("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'dedup.recent_generation'")
        _ = try ingest(store, [("a", "12", nil, Self.story(32))], at: 10_000)  // to lsh_recent
        #expect(try store.pruneIndex(createdBefore: 5_000, with: dedup) == 0)
        #expect(try store.scalar("SELECT count(*) FROM lsh_recent") == 1)
        #expect(try store.scalar("SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'dedup.recent_generation'") == generation)
        // A pruned article is no longer found; a recent one still is.
        let again = try ingest(store, [("b", "4", nil, Self.story(21)), ("b", "5", nil, Self.story(23))], at: 20_000)
        #expect(again[0].status == .exactDuplicate)  // the exact path does not need the index
        #expect(again[1].status == .exactDuplicate)
        func edited(_ seed: Int) -> String {
            var words = Self.story(seed).split(separator: " ")
            words[10] = "changed"
            return words.joined(separator: " ")
        }
        let near = try ingest(store, [("c", "6", nil, edited(21)), ("c", "7", nil, edited(31))], at: 20_000)
        #expect(near[0].status == .new)  // outside the retention window
        #expect(near[1].status == .duplicate && near[1].duplicateOf == 11)  // inside it
    }

    /// A database from before v7 kept one `lsh_recent` row a key; the migration packs them into one row an
    /// article (keys exact to 64 bits, order of articles kept) and moves the generation on.
    @Test func recentRowsOfAnOlderDatabaseArePackedByArticle() throws {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue, upTo: "v6: learned boilerplate")
        let rows: [(Int64, Int64)] = [(Int64.min, 7), (Int64.max, 7), (-1_234_567_890_123_456_789, 3), (42, 7), (5, 3)]
        try queue.write { db in
            for (key, article) in rows { try db.execute(sql: "INSERT INTO lsh_recent (key, article_id) VALUES (?, ?)", arguments: [key, article]) }
        }
        try Schema.migrator.migrate(queue)
        try queue.read { db in
            #expect(try Int64.fetchAll(db, sql: "SELECT article_id FROM lsh_recent ORDER BY rowid") == [7, 3])
            let unpacked = try Row.fetchAll(db, sql: "SELECT j.value, r.article_id FROM lsh_recent r, json_each(r.keys) j")
                .map { ($0[0] as Int64, $0[1] as Int64) }
            #expect(unpacked.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { "\($0.0)/\($0.1)" } == rows.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { "\($0.0)/\($0.1)" })
            #expect(try RecentBuckets.generation(db) == 1)
        }
    }

    /// Bucket rows in the runs: all rows less those of the keyed table and the recent table.
    static func rowsInRuns(_ store: ArticleStore) throws -> Int {
        try store.bucketRowCount() - store.scalar("SELECT count(*) FROM lsh_buckets") - store.scalar("SELECT count(*) FROM lsh_recent r, json_each(r.keys)")
    }

    /// A merge into `lsh_buckets` keeps its key filter, so a process that starts reads it instead of
    /// scanning the keyed table: a restarted store finds a near copy of an article held only there.
    /// The kept filter stays good while only runs are added, and is passed over (the table scanned)
    /// once anything else merges into the table, as an older build would without keeping a filter.
    @Test func theKeptKeyFilterIsUsedOnlyWhileItHoldsEveryKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-store-\(UUID().uuidString)/db.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try ArticleStore.open(path: path, recentBucketLimit: 2 * 32, runLimit: 2)
        _ = try ingest(store, (1...6).map { ("a", "\($0)", nil, Self.story(60 + $0)) })
        func kept(_ store: ArticleStore) throws -> Bool {
            try store.db.read { try KeyFilter.persisted($0, generation: RecentBuckets.generation($0)) != nil }
        }
        #expect(try store.scalar("SELECT count(DISTINCT article_id) FROM lsh_buckets") >= 4, "articles reached the keyed table")
        #expect(try kept(store))
        var words = Self.story(61).split(separator: " ")
        words[10] = "changed"
        let restarted = try ArticleStore.open(path: path, recentBucketLimit: 2 * 32, runLimit: 2)
        let near = try ingest(restarted, [("b", "near", nil, words.joined(separator: " "))])
        #expect(near[0].status == .duplicate && near[0].duplicateOf == 1)

        // A run added: still good. A merge into the keyed table that keeps no filter: passed over.
        var counter: UInt64 = 5
        let pairs = (0..<40).map { _ in counter += 1; return BucketPair(key: Int64(bitPattern: StableHash.mix(counter)), articleID: 3) }.sorted()
        try store.db.write { db in _ = try ArticleStore.mergeBuckets(db, pairs: pairs, runs: [], runLimit: 100) }
        #expect(try kept(store))
        try store.db.write { db in _ = try ArticleStore.mergeBuckets(db, pairs: pairs, runs: ArticleStore.runs(db), runLimit: 0) }
        #expect(try !kept(store))
    }

    /// Bucket rows go to `lsh_recent` first, are written as a run at the limit and merged into
    /// `lsh_buckets` when the runs pile up; matches are found in any of the three, within a batch, and
    /// by a second store that merged behind the first's back.
    @Test func bucketRowsMergeDownAndMatchesAreFoundAtEveryLevel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-store-\(UUID().uuidString)/db.sqlite").path
        let store = try ArticleStore.open(path: path, recentBucketLimit: 3 * 32)
        let dedup = Deduplicator()
        func edited(_ seed: Int, _ word: Int) -> String {
            var words = Self.story(seed).split(separator: " ")
            words[word] = "changed"
            return words.joined(separator: " ")
        }
        // Two originals, then (in the same batch) a near copy of the second, found through the batch's own keys.
        let first = try ingest(store, [("a", "1", nil, Self.story(41)), ("a", "2", nil, Self.story(42)), ("b", "3", nil, edited(42, 5))],
                               oneBatch: true)
        #expect(first.map(\.status) == [DedupStatus.new, .new, .duplicate])
        #expect(first[2].duplicateOf == first[1].articleID)
        // Three rows' worth reached the limit: written as a run (far below the run limit), generation bumped.
        #expect(try store.scalar("SELECT count(*) FROM lsh_recent") == 0 && store.scalar("SELECT count(*) FROM lsh_buckets") == 0)
        #expect(try Self.rowsInRuns(store) == 3 * 32)
        // A near copy of an article in the run is found; a new one goes to the recent table.
        let second = try ingest(store, [("c", "4", nil, edited(41, 7)), ("c", "5", nil, Self.story(43))])
        #expect(second[0].status == .duplicate && second[0].duplicateOf == first[0].articleID)
        #expect(second[1].status == .new)
        #expect(try store.scalar("SELECT count(DISTINCT article_id) FROM lsh_recent") == 2)
        // Another writer (another process) adds article 6 and merges everything down; the first store's
        // in-memory copy must notice.
        let other = try ArticleStore.open(path: path, recentBucketLimit: 1, runLimit: 0)
        _ = try ingest(other, [("z", "99", nil, Self.story(49))])
        #expect(try store.scalar("SELECT count(*) FROM lsh_recent") == 0 && Self.rowsInRuns(store) == 0)
        #expect(try store.scalar("SELECT count(DISTINCT article_id) FROM lsh_buckets") == 6)
        let third = try ingest(store, [("d", "6", nil, edited(43, 9))])
        #expect(third[0].status == .duplicate && third[0].duplicateOf == second[1].articleID)
        // `match` (read-only) sees the keyed table too.
        var probe = try #require(try store.cleanArticle(id: 1))
        probe.text = edited(42, 11)
        probe.textHash = dedup.textHash(probe.text)
        #expect(try store.match(probe, with: dedup).status == .duplicate)
        // A store that has written nothing (a tool beside the daemon) sees the recent rows through `match`:
        // a copy of article 8, which only the recent table holds, is found.
        let recentOnly = try ingest(store, [("e", "8", nil, Self.story(44))])
        #expect(try store.scalar("SELECT count(DISTINCT article_id) FROM lsh_recent WHERE article_id = \(recentOnly[0].articleID)") == 1)
        probe.text = edited(44, 3)
        probe.textHash = dedup.textHash(probe.text)
        let tool = try ArticleStore.open(path: path)
        let seen = try tool.match(probe, with: dedup)
        #expect(seen.status == .duplicate && seen.duplicateOf == recentOnly[0].articleID)
        // A restarted writer builds its filter from lsh_buckets and the runs, and finds copies in each:
        // article 1 in lsh_buckets, article 10 in the run its own merge writes.
        let restarted = try ArticleStore.open(path: path, recentBucketLimit: 32)
        let fourth = try ingest(restarted, [("e", "7", nil, edited(41, 13)), ("f", "9", nil, Self.story(45))])
        #expect(fourth[0].status == .duplicate && fourth[0].duplicateOf == first[0].articleID)
        #expect(try store.scalar("SELECT count(*) FROM lsh_recent") == 0 && Self.rowsInRuns(store) >= 32)
        let fifth = try ingest(restarted, [("g", "10", nil, edited(45, 2))])
        #expect(fifth[0].status == .duplicate && fifth[0].duplicateOf == fourth[1].articleID)
        // And a tool opened now reads the run from the table.
        probe.text = edited(45, 4)
        probe.textHash = dedup.textHash(probe.text)
        let secondTool = try ArticleStore.open(path: path)
        let inRun = try secondTool.match(probe, with: dedup)
        #expect(inRun.status == .duplicate && inRun.duplicateOf == fourth[1].articleID)
        #expect(try store.bucketRowCount() == store.scalar("SELECT count(*) FROM signatures") * 32)
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.countsAreConsistent())
    }

    @Test func resetEmptiesLaterStagesForReprocessing() throws {
        let store = try ArticleStore.inMemory()
        _ = try ingest(store, [("a", "1", nil, Self.story(31)), ("a", "2", nil, Self.story(31))])
        try store.resetStages(includingClean: false)
        var counts = try store.counts()
        #expect(counts.articles == 0 && counts.clusters == 0 && counts.clean == 2 && counts.pendingDedup == 2)
        #expect(try store.bucketRowCount() == 0)
        try store.checkDedupParameters(Deduplicator(parameters: DedupParameters(permutations: 64)))  // new parameters accepted
        try store.resetStages(includingClean: true)
        counts = try store.counts()
        #expect(counts.clean == 0 && counts.raw == 2 && counts.pendingClean == 2)
        #expect(try store.countsAreConsistent())
    }
}

/// The dedup stage against this store, one article or one batch at a time, as the tests call it.
extension ArticleStore {
    func deduplicate(_ article: CleanArticle, with dedup: Deduplicator, policy: CanonicalPolicy = CanonicalPolicy(),
                     at time: Double = Date().timeIntervalSince1970) throws -> DedupResult {
        try DedupStage(deduplicator: dedup, policy: policy).run([article], in: self, at: time)[0]
    }

    func deduplicate(_ articles: [CleanArticle], with dedup: Deduplicator, policy: CanonicalPolicy = CanonicalPolicy(),
                     at time: Double = Date().timeIntervalSince1970) throws -> [DedupResult] {
        try DedupStage(deduplicator: dedup, policy: policy).run(articles, in: self, at: time)
    }

    func match(_ article: CleanArticle, with dedup: Deduplicator) throws -> DedupResult {
        try DedupStage(deduplicator: dedup).match(article, in: self)
    }
}
