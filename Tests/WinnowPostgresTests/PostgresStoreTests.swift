import Foundation
import Testing
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowPostgres
import WinnowStore
import WinnowTestSupport

/// The PostgreSQL store against a real throw-away cluster: the same verdicts as the SQLite store, the
/// race its advisory locks close, and the leased queues.
@Suite struct PostgresStoreTests {
    let dedup = Deduplicator(parameters: DedupParameters())

    /// Documents through stage 1, 2 and 3 of `store` (no cleaning rules: the text as given), as one
    /// process would: its own items only.
    func ingest(_ texts: [String], into store: some StageStore) throws -> [DedupResult] {
        let (raw, queued) = try queue(texts, in: store)
        let results = try DedupStage(deduplicator: dedup).run(queued, in: store)
        let byRaw = Dictionary(uniqueKeysWithValues: zip(queued.map(\.rawItemID), results))
        return raw.map { byRaw[$0.id]! }
    }

    /// Documents through stage 1 and 2: the raw items, and the clean articles claimed for dedup.
    func queue(_ texts: [String], in store: some StageStore) throws -> (raw: [RawItem], queued: [CleanArticle]) {
        let raw = try store.addLocalItems(texts.map { FeedItem(guid: "test:\(UUID().uuidString)", content: $0) })
        let claimed = try store.pendingClean(limit: 10_000)
        #expect(Set(claimed.map(\.id)) == Set(raw.map(\.id)))
        let rows = claimed.map { ($0.id, CleanedDocument(title: nil, author: nil, text: $0.item.content!, removed: []), dedup.textHash($0.item.content!)) }
        _ = try store.saveClean(rows, observing: [], learnAt: 0)
        return (raw, try store.pendingDedup(limit: 10_000))
    }

    /// The seeds, and variants of them: boilerplate added, words changed, the same text again.
    func documents() throws -> [String] {
        let seeds = try TestPaths.seeds().map { try String(contentsOf: $0, encoding: .utf8) }
        var rng = SplitMix(seed: 22)
        var texts = seeds
        for seed in seeds {
            var words = seed.split(separator: " ").map(String.init)
            for _ in 0..<max(1, words.count / 40) { words[rng.nextInt() % words.count] = "changed" }
            texts.append(words.joined(separator: " "))
            texts.append(seed + "\nSign up for our newsletter to get the top stories every morning.")
            texts.append(seed)
        }
        return texts
    }

    @Test func givesTheSQLiteStoresVerdicts() throws {
        let texts = try documents()
        let sqlite = try ingest(texts, into: try ArticleStore.inMemory())
        let postgres = try ingest(texts, into: try PostgresStore.open(url: try PostgresServer.shared().createDatabase("verdicts")))
        #expect(postgres.map(\.status) == sqlite.map(\.status))
        #expect(Set(sqlite.map(\.status)) == [.new, .duplicate, .exactDuplicate], "the documents exercise every verdict")
        // The same partition into clusters (ids may differ between the stores).
        func partition(_ results: [DedupResult]) -> [Int] {
            var first: [Int64: Int] = [:]
            return results.enumerated().map { i, r in
                if let index = first[r.clusterID] { return index }
                first[r.clusterID] = i
                return i
            }
        }
        #expect(partition(postgres) == partition(sqlite))
        #expect(postgres.map { $0.similarity.map { ($0 * 1000).rounded() } } == sqlite.map { $0.similarity.map { ($0 * 1000).rounded() } })
    }

    /// A batch's advisory locks outnumber what PostgreSQL's lock table holds by default (6,400 with
    /// max_connections 100, with some slack): 1,000 articles take about 34,000. The store commits a slice at a time.
    @Test func aLargeBatchFitsInTheDefaultLockTable() throws {
        var rng = SplitMix(seed: 250)
        let words = (0..<5000).map { "w\($0)" }
        let texts = (0..<1000).map { _ in (0..<120).map { _ in words[rng.nextInt() % words.count] }.joined(separator: " ") }
        let url = try PostgresServer.shared().createDatabase("bigbatch")
        let results = try ingest(texts, into: try PostgresStore.open(url: url))
        #expect(results.count == 1000 && results.allSatisfy { $0.status == .new })
        #expect(try PGConnection(url: url).query("SELECT count(*) FROM articles").int(0, 0) == 1000)
    }

    @Test func migrationsRunOnceAndAgreeOnParameters() throws {
        let url = try PostgresServer.shared().createDatabase("migrate")
        let first = try PostgresStore.open(url: url)
        try first.checkDedupParameters(dedup)
        let second = try PostgresStore.open(url: url)
        try second.checkDedupParameters(dedup)
        let other = Deduplicator(parameters: DedupParameters(shingleSize: 3))
        #expect(throws: StoreError.self) { try second.checkDedupParameters(other) }
        let db = try PGConnection(url: url)
        let applied = try db.query("SELECT count(*), count(DISTINCT name), bool_or(name = 'v1: staged tables') FROM schema_migrations")
        #expect(applied.int(0, 0) == applied.int(0, 1) && applied.int(0, 0)! >= 2 && applied.bool(0, 2) == true, "each migration once")
    }

    /// Two processes each store one of two near-identical articles, with a pause between reading
    /// candidates and inserting: without the advisory locks both are called new (the race); with
    /// them, the second waits for the first to commit and is its duplicate.
    @Test(arguments: [false, true]) func advisoryLocksCloseTheNearDuplicateRace(locks: Bool) throws {
        let url = try PostgresServer.shared().createDatabase(locks ? "racelocked" : "raceopen")
        var options = PostgresStore.Options()
        options.advisoryLocks = locks
        options.delayBeforeInsert = .milliseconds(400)
        let stores = try [PostgresStore.open(url: url, options: options), PostgresStore.open(url: url, options: options)]
        let seed = try String(contentsOf: try TestPaths.seeds()[1], encoding: .utf8)
        let texts = [seed, seed.replacingOccurrences(of: "the ", with: "a ", options: [], range: seed.range(of: "the "))]
        #expect(texts[0] != texts[1])
        let queued = try (0..<2).map { try queue([texts[$0]], in: stores[$0]).queued }
        // Two threads of their own (a busy cooperative pool could run both on one), started together.
        let results = Results()
        onThreads(2) { [dedup] i in
            let result = Result { try DedupStage(deduplicator: dedup).run(queued[i], in: stores[i])[0] }
            results.lock.withLock { results.values.append(result) }
        }
        let statuses = try results.values.map { try $0.get().status }.sorted { $0.rawValue < $1.rawValue }
        if locks {
            #expect(statuses == [.duplicate, .new])
        } else {
            #expect(statuses == [.new, .new], "the race did not happen: the test's pause no longer opens it")
        }
    }

    /// One process merges two clusters (its article X matches A's and B's) while another adds an
    /// article (Y) to one of them, with a pause between reading and writing. X and Y share no band
    /// key, so the advisory locks do not order them: the cluster row locks must. With them, the four
    /// articles end in one cluster whichever goes first; without (coordination off), one of the two
    /// fails at commit, its article pointing at a cluster the other deleted.
    @Test(arguments: [false, true]) func aMergeAndAJoinOfTheSameClusterDoNotRace(locks: Bool) throws {
        let words = (0..<700).map { "w\(StableHash.mix(UInt64($0) &+ 0xC105) % 30_000)" }
        // B is 500 words; Y its first 300, X its last 300: each contained in B (containment 1, Jaccard
        // 0.6). A is X and 200 words more: X is contained in A, while A and B share only X's words.
        let b = Array(words[0..<500]), y = Array(words[0..<300]), x = Array(words[200..<500]), a = x + words[500..<700]
        let texts = [a, b, x, y].map { $0.joined(separator: " ") }
        func similarity(_ i: Int, _ j: Int) -> Double { Deduplicator.compare(dedup.shingleSet(of: texts[i]), dedup.shingleSet(of: texts[j])).similarity }
        try #require(similarity(0, 1) < 0.5 && similarity(2, 3) < 0.5, "A and B, and X and Y, must not match")
        let keys = texts.map { Set(dedup.bucketKeys(dedup.signature(of: $0)!)) }
        try #require(keys[2].isDisjoint(with: keys[3]), "X and Y must share no band key (the advisory locks would order them)")

        let url = try PostgresServer.shared().createDatabase(locks ? "mergelocked" : "mergeopen")
        var options = PostgresStore.Options()
        options.advisoryLocks = locks
        options.delayBeforeInsert = .milliseconds(400)
        let stores = try [PostgresStore.open(url: url, options: options), PostgresStore.open(url: url, options: options)]
        let first = try ingest(Array(texts[0..<2]), into: stores[0])
        try #require(first.map(\.status) == [.new, .new])
        let queued = try (0..<2).map { try queue([texts[2 + $0]], in: stores[$0]).queued }
        let results = Results()
        onThreads(2) { [dedup] i in
            let result = Result { try DedupStage(deduplicator: dedup).run(queued[i], in: stores[i])[0] }
            results.lock.withLock { results.values.append(result) }
        }
        let db = try PGConnection(url: url)
        let clusters = try db.query("SELECT count(DISTINCT cluster_id), count(*) FROM articles")
        if locks {
            #expect(try results.values.allSatisfy { try $0.get().status == .duplicate })
            #expect(clusters.int(0, 0) == 1 && clusters.int(0, 1) == 4, "one cluster of four articles")
            #expect(try db.query("SELECT id, size FROM clusters").int(0, 1) == 4)
        } else {
            let failed = results.values.filter { if case .failure = $0 { return true } else { return false } }.count
            #expect(failed == 1 || clusters.int(0, 0) != 1, "the race did not happen: the test's pause no longer opens it")
        }
    }

    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var values: [Result<DedupResult, any Error>] = []
    }

    @Test func queuesAreLeasedToOneProcessAndTakenOverWhenTheLeaseExpires() throws {
        let url = try PostgresServer.shared().createDatabase("lease")
        var short = PostgresStore.Options()
        short.lease = .seconds(1)
        let a = try PostgresStore.open(url: url, options: short)
        let b = try PostgresStore.open(url: url)
        let items = try a.addLocalItems((0..<3).map { FeedItem(guid: "lease:\($0)", content: "text \($0)") })
        #expect(try b.pendingClean(limit: 10).isEmpty, "another process's leased items are left alone")
        #expect(try a.pendingClean(limit: 10).map(\.id) == items.map(\.id))
        Thread.sleep(forTimeInterval: 1.5)
        // a stalled past its lease: b takes the items over, and a's late write stores nothing twice.
        let taken = try b.pendingClean(limit: 10)
        #expect(taken.map(\.id) == items.map(\.id))
        let rows = taken.map { ($0.id, CleanedDocument(title: nil, author: nil, text: $0.item.content!, removed: []), dedup.textHash($0.item.content!)) }
        let byB = try b.saveClean(rows, observing: [], learnAt: 0)
        let byA = try a.saveClean(rows, observing: [], learnAt: 0)
        #expect(byA.ids == byB.ids)
        let db = try PGConnection(url: url)
        #expect(try db.query("SELECT count(*) FROM clean_articles").int(0, 0) == 3)
        #expect(try db.query("SELECT count(*) FROM dedup_queue").int(0, 0) == 3)
        #expect(try db.query("SELECT count(*) FROM clean_queue").int(0, 0) == 0)
    }
}
