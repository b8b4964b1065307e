import Foundation
import Testing
import WinnowDedup
import WinnowPostgres
import WinnowStore
import WinnowTestSupport

/// Retention of the dedup index on PostgreSQL prunes what the SQLite store prunes: the bucket rows of
/// articles older than the window, whose copies are then no longer matched; the articles stay.
@Suite struct IndexRetentionTests {
    let base = PostgresStoreTests()

    @Test func pruningForgetsOldArticlesAsTheSQLiteStoreDoes() throws {
        let seeds = try TestPaths.seeds().map { try String(contentsOf: $0, encoding: .utf8) }
        try #require(seeds.count == 5)
        var rng = SplitMix(seed: 90)
        func edited(_ text: String) -> String {
            var words = text.split(separator: " ").map(String.init)
            for _ in 0..<max(1, words.count / 60) { words[rng.nextInt() % words.count] = "edited" }
            return words.joined(separator: " ")
        }
        let now = Date().timeIntervalSince1970
        let url = try PostgresServer.shared().createDatabase("retention")
        let stores: [any StageStore] = [try ArticleStore.inMemory(), try PostgresStore.open(url: url)]
        let copies = seeds.map(edited)
        var verdicts: [[DedupStatus]] = []
        for store in stores {
            // Three seeds stored 100 days ago, two today; then pruned with a 90-day window.
            _ = try ingest(Array(seeds.prefix(3)), into: store, at: now - 100 * 86_400)
            _ = try ingest(Array(seeds.suffix(2)), into: store, at: now)
            let pruned: Int
            if let sqlite = store as? ArticleStore {
                pruned = try sqlite.pruneIndex(createdBefore: now - 90 * 86_400, with: base.dedup)
            } else {
                let postgres = try #require(store as? PostgresStore)
                pruned = try postgres.pruneIndex(createdBefore: now - 90 * 86_400, with: base.dedup, batch: 2)
                #expect(try postgres.pruneIndex(createdBefore: now - 90 * 86_400, with: base.dedup) == 0, "a second prune finds nothing left")
                let db = try PGConnection(url: url)
                #expect(try db.query("SELECT count(*) FROM lsh_buckets b JOIN articles a ON a.id = b.article_id WHERE a.created_at < $1",
                                     [String(now - 90 * 86_400)]).int(0, 0) == 0)
                #expect(try db.query("SELECT count(DISTINCT article_id) FROM lsh_buckets").int(0, 0) == 2)
                #expect(try db.query("SELECT count(*) FROM articles").int(0, 0) == 5, "the articles stay")
            }
            #expect(pruned == 3)
            verdicts.append(try ingest(copies, into: store, at: now).map(\.status))
        }
        #expect(verdicts[0] == [.new, .new, .new, .duplicate, .duplicate], "copies of pruned articles are new again")
        #expect(verdicts[1] == verdicts[0])
    }

    func ingest(_ texts: [String], into store: some StageStore, at time: Double) throws -> [DedupResult] {
        let (raw, queued) = try base.queue(texts, in: store)
        let results = try DedupStage(deduplicator: base.dedup).run(queued, in: store, at: time)
        let byRaw = Dictionary(uniqueKeysWithValues: zip(queued.map(\.rawItemID), results))
        return raw.map { byRaw[$0.id]! }
    }
}
