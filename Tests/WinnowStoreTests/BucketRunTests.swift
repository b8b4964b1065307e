import Foundation
import GRDB
import Testing
import WinnowDedup
@testable import WinnowStore

@Suite struct BucketRunTests {
    /// A run of several chunks, with one key holding more rows than a chunk: every key finds exactly
    /// its rows, keys between and beyond the stored ones find none, and a reloaded index finds the same.
    @Test func aRunFindsExactlyTheRowsOfEveryKey() throws {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue)
        var counter: UInt64 = 9
        func randomEvenKey() -> Int64 {  // odd keys are never written
            counter += 1
            return Int64(bitPattern: StableHash.mix(counter) & ~1)
        }
        var expected: [Int64: [Int64]] = [:]
        for article in 1...40 {
            for _ in 0..<32 { expected[randomEvenKey(), default: []].append(Int64(article)) }
        }
        let crowded = randomEvenKey()
        expected[crowded] = (1...(BucketRun.rowsPerChunk + 50)).map { Int64(1_000 + $0) }  // more rows than a chunk holds
        let pairs = expected.flatMap { key, ids in ids.map { BucketPair(key: key, articleID: $0) } }.sorted()

        let written = try queue.write { try BucketRun.write($0, number: 3, pairs: pairs) }
        #expect(written.lastKeys.count >= 5)
        #expect(written.lastKeys == written.lastKeys.sorted() && Set(written.lastKeys).count == written.lastKeys.count)
        var none: KeyFilter?
        let loaded = try queue.read { try BucketRun.loadAll($0, into: &none) }
        #expect(loaded.count == 1 && loaded[0].number == 3 && loaded[0].lastKeys == written.lastKeys)

        let stored = expected.keys.sorted()
        let absent = stored.map { $0 | 1 } + [Int64.min | 1, Int64.max]
        for run in [written, loaded[0]] {
            var found: [Int64: [Int64]] = [:]
            try queue.read { try run.lookup($0, sortedKeys: (stored + absent).sorted(), into: &found) }
            #expect(found.count == expected.count)
            for (key, ids) in expected { #expect(found[key]?.sorted() == ids.sorted(), "key \(key)") }
        }
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT sum(length(pairs)) / 16 FROM lsh_runs") } == pairs.count)
    }

    /// Runs of several chunks and the new rows merge into lsh_buckets as their sorted union.
    @Test func runsMergeIntoTheKeyedTableInKeyOrder() throws {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue)
        var counter: UInt64 = 77
        func pairs(_ count: Int, articles: ClosedRange<Int64>) -> [BucketPair] {
            (0..<count).map { i in
                counter += 1
                return BucketPair(key: Int64(bitPattern: StableHash.mix(counter)), articleID: articles.lowerBound + Int64(i) % Int64(articles.count))
            }.sorted()
        }
        let first = pairs(1_000, articles: 1...30), second = pairs(700, articles: 31...50), recent = pairs(300, articles: 51...60)
        try queue.write { db in
            _ = try BucketRun.write(db, number: 1, pairs: first)
            _ = try BucketRun.write(db, number: 2, pairs: second)
            _ = try ArticleStore.mergeBuckets(db, pairs: recent, runs: [BucketRun(number: 1), BucketRun(number: 2)], runLimit: 2)
        }
        let merged = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT key, article_id FROM lsh_buckets").map { BucketPair(key: $0[0], articleID: $0[1]) }
        }
        #expect(merged == (first + second + recent).sorted())
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM lsh_runs") } == 0)
    }
}
