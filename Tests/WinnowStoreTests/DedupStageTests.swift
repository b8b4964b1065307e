import Foundation
import Testing
import WinnowClean
import WinnowDedup
import WinnowFeeds
@testable import WinnowStore

/// The dedup stage decides; a store only keeps. The same articles through the stage against SQLite
/// (in batches, as the daemon runs it) and against the in-memory store (in one batch) get the same
/// verdicts, clusters and canonical articles.
@Suite struct DedupStageTests {
    /// Story families with every kind of copy the stage tells apart: light edits, truncations (containment),
    /// exact copies on other feeds, the same URL with other text, a URL-form guid on another feed, short
    /// guids that must not match across feeds, and unrelated stories.
    static func entries(families: Int) -> [(feed: String, guid: String, url: String?, text: String)] {
        var entries: [(feed: String, guid: String, url: String?, text: String)] = []
        for family in 0..<families {
            let words = DedupStoreTests.story(family, words: 250 + family * 7 % 200).split(separator: " ").map(String.init)
            let original = words.joined(separator: " ")
            entries.append(("a", "https://wire.example/\(family)", "https://a.example/\(family)", original))
            switch family % 6 {
            case 0:  // a light edit on another feed
                var edited = words
                for i in stride(from: family % 5, to: edited.count, by: 80) { edited[i] = "edit\(i)" }
                entries.append(("b", "b-\(family)", "https://b.example/\(family)", edited.joined(separator: " ")))
            case 1:  // truncated to 70%
                entries.append(("c", "c-\(family)", nil, words.prefix(words.count * 7 / 10).joined(separator: " ")))
            case 2:  // the same text re-wrapped on another feed
                entries.append(("b", "b-\(family)", nil, words.joined(separator: "\n")))
            case 3:  // the same URL with another text, and the wire's guid on another feed
                entries.append(("c", "c-\(family)", "https://a.example/\(family)", DedupStoreTests.story(family + 10_000)))
                entries.append(("b", "https://wire.example/\(family)", nil, DedupStoreTests.story(family + 20_000)))
            case 4:  // a short guid that is unique only in its feed
                entries.append(("b", "\(family)", nil, DedupStoreTests.story(family + 30_000)))
                entries.append(("c", "\(family)", nil, DedupStoreTests.story(family + 40_000)))
            default:  // a longer copy that the preferred feed publishes later
                entries.append(("pref", "p-\(family)", nil, original + " " + DedupStoreTests.story(family + 50_000, words: 80)))
            }
        }
        return entries
    }

    @Test(arguments: [CanonicalPolicy(), CanonicalPolicy(rule: .longest), CanonicalPolicy(preferredFeeds: ["pref", "c"])])
    func theStageGivesTheSameVerdictsAgainstSQLiteAndInMemory(policy: CanonicalPolicy) throws {
        let dedup = Deduplicator()
        let store = try ArticleStore.inMemory()
        let entries = Self.entries(families: 36)
        let feeds = try store.register(feeds: Set(entries.map(\.feed)).sorted().map { FeedRegistration(name: $0, url: "https://\($0).example/rss") })
        let feedIDs = Dictionary(uniqueKeysWithValues: feeds.map { ($0.name, $0.id) })
        for e in entries {
            try store.record(feedID: feedIDs[e.feed]!, outcome: FetchOutcome(startedAt: 1000, durationMS: 1, httpStatus: 200, bytes: 1, nextFetchAt: 0,
                                                                             items: [FeedItem(guid: e.guid, link: e.url, content: e.text)]))
        }
        let raw = try store.pendingClean(limit: entries.count)
        try #require(raw.count == entries.count)
        _ = try store.saveClean(raw.map { item in
            let text = item.item.content ?? ""
            return (item.id, CleanedDocument(title: item.item.guid, author: nil, text: text, removed: []), dedup.textHash(text))
        }, at: 1000)
        let pending = try store.pendingDedup(limit: entries.count)
        try #require(pending.count == entries.count)

        let stage = DedupStage(deduplicator: dedup, policy: policy)
        var inSQLite: [DedupResult] = []
        for start in stride(from: 0, to: pending.count, by: 7) {  // batches whose copies straddle batch boundaries
            inSQLite += try stage.run(Array(pending[start..<min(start + 7, pending.count)]), in: store, at: 1000)
        }
        let memory = InMemoryDedupStore(feeds: feedIDs)
        let inMemory = try stage.run(pending, in: memory, at: 1000)

        #expect(inSQLite == inMemory)
        let statuses = Dictionary(grouping: inMemory, by: \.status).mapValues(\.count)
        #expect(statuses[.duplicate, default: 0] >= 18 && statuses[.exactDuplicate, default: 0] >= 12 && statuses[.new, default: 0] >= 36,
                "the corpus exercises every verdict: \(statuses)")
        let sqliteCanonicals = Dictionary(uniqueKeysWithValues: try store.duplicateClusters(limit: 1000).map { ($0.clusterID, $0.canonicalArticleID) })
        let memoryCanonicals = memory.canonicals.filter { cluster, _ in inMemory.count { $0.clusterID == cluster } > 1 }
        #expect(sqliteCanonicals == memoryCanonicals)
        #expect(try store.countsAreConsistent())
    }

    /// Clusters are the connected groups of matching articles, not an accident of arrival order: A
    /// and B do not match each other, X matches both. Whichever comes last, in batches of one or in
    /// one batch, the three end in one cluster (the oldest: the first article stored founded it), its
    /// size and canonical article right and the counts consistent, in SQLite and in memory alike.
    @Test func anArticleMatchingTwoClustersMergesThemInAnyOrder() throws {
        let words = DedupStoreTests.story(77, words: 460).split(separator: " ")
        let texts = ["a": words[0..<400], "x": words[30..<430], "b": words[60..<460]].mapValues { $0.joined(separator: " ") }
        let dedup = Deduplicator()
        func similarity(_ p: String, _ q: String) -> (Double, Double) {
            Deduplicator.compare(dedup.shingleSet(of: texts[p]!), dedup.shingleSet(of: texts[q]!))
        }
        try #require(similarity("a", "x").0 >= 0.8 && similarity("x", "b").0 >= 0.8)
        try #require(similarity("a", "b").0 < 0.8 && similarity("a", "b").1 < 0.9, "a and b must not match: \(similarity("a", "b"))")
        for order in [["a", "b", "x"], ["b", "a", "x"], ["a", "x", "b"], ["x", "a", "b"], ["b", "x", "a"], ["x", "b", "a"]] {
            for oneBatch in [false, true] {
                let store = try ArticleStore.inMemory()
                let entries = order.map { (feed: "f", guid: $0, url: String?.none, text: texts[$0]!) }
                _ = try DedupStoreTests().ingest(store, entries, oneBatch: oneBatch)
                let clusters = try store.duplicateClusters(limit: 10)
                #expect(clusters.count == 1 && clusters.first?.members.count == 3, "\(order), one batch: \(oneBatch)")
                #expect(clusters.first?.clusterID == 1 && clusters.first?.canonicalArticleID == 1, "\(order): \(clusters)")
                #expect(try store.counts().clusters == 1)
                #expect(try store.consistencyReport().problems(bands: dedup.banding.bands).isEmpty)

                let memory = InMemoryDedupStore()
                let stage = DedupStage(deduplicator: dedup)
                let articles = order.enumerated().map { i, name in
                    CleanArticle(id: Int64(i + 1), rawItemID: Int64(i + 1), feedID: 1, guid: name, url: nil, title: nil, author: nil,
                                 publishedAt: nil, text: texts[name]!, textHash: dedup.textHash(texts[name]!))
                }
                if oneBatch { _ = try stage.run(articles, in: memory) } else { for article in articles { _ = try stage.run([article], in: memory) } }
                #expect(Set(memory.state.articles.values.map(\.verdict.clusterID)) == [1] && memory.canonicals == [1: 1])
                #expect(memory.state.clusters[1]?.size == 3)
            }
        }
    }

    /// An article that matches three clusters merges all three, and the merged cluster's canonical
    /// article is the one the policy prefers among theirs: the earliest by default, the preferred
    /// feed's with `preferred_feeds` (though the merging article came last and from another feed).
    @Test(arguments: [CanonicalPolicy(), CanonicalPolicy(preferredFeeds: ["pref"])])
    func threeClustersMergeAndKeepThePolicysCanonical(policy: CanonicalPolicy) throws {
        // X is 1,000 words; A, B and C are 600 of them each (contained in X, Jaccard 0.6), and no two
        // of A, B and C match (Jaccard 0.2 to 0.5, containment at most 0.67).
        let words = DedupStoreTests.story(91, words: 1000).split(separator: " ")
        let parts = [("a", "f", words[0..<600]), ("b", "f", words[400..<1000]), ("c", "pref", words[200..<800]), ("x", "f", words[0..<1000])]
        let entries = parts.map { (feed: $0.1, guid: $0.0, url: String?.none, text: $0.2.joined(separator: " ")) }
        let store = try ArticleStore.inMemory()
        let results = try DedupStoreTests().ingest(store, entries, policy: policy)
        #expect(results.map(\.status) == [.new, .new, .new, .duplicate], "A, B and C start clusters; X matches them")
        let clusters = try store.duplicateClusters(limit: 10)
        #expect(clusters.count == 1 && clusters.first?.members.count == 4 && clusters.first?.clusterID == 1)
        #expect(clusters.first?.canonicalArticleID == (policy.preferredFeeds.isEmpty ? 1 : 3))
        #expect(try store.counts().clusters == 1)
        #expect(try store.consistencyReport().problems(bands: Deduplicator().banding.bands).isEmpty)
    }

    /// `match` decides without writing: against either store, the same verdict as the stored one.
    @Test func matchWritesNothingAndAgreesWithTheStoredVerdict() throws {
        let dedup = Deduplicator()
        let stage = DedupStage(deduplicator: dedup)
        let memory = InMemoryDedupStore()
        let text = DedupStoreTests.story(3)
        let article = CleanArticle(id: 1, rawItemID: 1, feedID: 1, guid: "1", url: nil, title: nil, author: nil, publishedAt: nil,
                                   text: text, textHash: dedup.textHash(text))
        #expect(try stage.match(article, in: memory).status == .new)
        #expect(memory.state.articles.isEmpty)
        let stored = try stage.run([article], in: memory)[0]
        var copy = article
        copy.id = 2
        copy.feedID = 2
        let verdict = try stage.match(copy, in: memory)
        #expect(verdict.status == .exactDuplicate && verdict.duplicateOf == stored.articleID && verdict.clusterID == stored.clusterID)
        #expect(memory.state.articles.count == 1)
    }
}
