import Foundation
import GRDB

// Between `lsh_recent` and the keyed `lsh_buckets` sit runs: each merge of the recent rows writes them,
// sorted, as one run of `lsh_runs`, in chunks of a few hundred rows packed into a blob. Writing a run
// costs a few thousand SQLite rows however many bucket rows it holds; inserting 262,144 bucket rows
// into a keyed table, even one kept small, cost 0.35 s a merge in SQLite's sorter and B-tree (a third
// of stage 3's time at 100,000 articles). Only when `runLimit` runs have piled up are they merged into
// `lsh_buckets`, in one pass in key order.

/// One bucket row: a bucket key and an article in that bucket. Ordered by key, then article.
struct BucketPair: Comparable, Sendable {
    var key: Int64
    var articleID: Int64

    static func < (a: BucketPair, b: BucketPair) -> Bool { (a.key, a.articleID) < (b.key, b.articleID) }
}

/// What the writer keeps of one run: each chunk's last key (to find the one chunk a key can be in)
/// and a filter of the run's keys (so most keys read no chunk at all). About 0.3 MB a run.
struct BucketRun: Sendable {
    /// 248 rows are 3,968 bytes: a chunk's row fits one 4 KB page.
    static let rowsPerChunk = 248

    let number: Int64
    var lastKeys: [Int64] = []
    var filter = KeyFilter.run()

    init(number: Int64) { self.number = number }

    /// A chunk's row id: its run in the high bits, so a run's chunks are consecutive and in key order.
    static func rowID(run: Int64, chunk: Int) -> Int64 { run << 32 | Int64(chunk) }

    /// Writes sorted rows as run `number`, in the caller's transaction. A key's rows are never split
    /// between chunks, so the chunk a key's last-key search finds holds all of them.
    static func write(_ db: Database, number: Int64, pairs: [BucketPair]) throws -> BucketRun {
        var run = BucketRun(number: number)
        let insert = try db.cachedStatement(sql: "INSERT INTO lsh_runs (id, min_article_id, pairs) VALUES (?, ?, ?)")
        var start = 0
        while start < pairs.count {
            var end = min(start + rowsPerChunk, pairs.count)
            while end < pairs.count, pairs[end].key == pairs[end - 1].key { end += 1 }
            let chunk = pairs[start..<end]
            let oldest = chunk.lazy.map(\.articleID).min()!
            try insert.execute(arguments: [rowID(run: number, chunk: run.lastKeys.count), oldest, encode(chunk)])
            run.add(chunk)
            start = end
        }
        return run
    }

    /// Indexes a chunk (sorted) of this run, the run's chunks in order.
    mutating func add(_ chunk: some BidirectionalCollection<BucketPair>) {
        lastKeys.append(chunk.last!.key)
        for pair in chunk { filter.insert(pair.key) }
    }

    /// Every run's index, read from `lsh_runs`; their keys also go into `stored`.
    static func loadAll(_ db: Database, into stored: inout KeyFilter?) throws -> [BucketRun] {
        var runs: [BucketRun] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT id, pairs FROM lsh_runs ORDER BY id")
        while let row = try rows.next() {
            let number = (row[0] as Int64) >> 32
            if runs.last?.number != number { runs.append(BucketRun(number: number)) }
            let pairs = decode(row[1])
            runs[runs.count - 1].add(pairs)
            for pair in pairs { stored?.insert(pair.key) }
        }
        return runs
    }

    /// Adds this run's rows for `sortedKeys` to `found`, reading each chunk needed once.
    func lookup(_ db: Database, sortedKeys: [Int64], into found: inout [Int64: [Int64]]) throws {
        var loaded = -1
        var pairs: [BucketPair] = []
        for key in sortedKeys where filter.mayContain(key) {
            let chunk = Self.firstIndex(in: lastKeys.count) { lastKeys[$0] >= key }
            if chunk == lastKeys.count { return }  // beyond the run's last key, as are the keys after it
            if chunk != loaded {
                let blob = try Data.fetchOne(db.cachedStatement(sql: "SELECT pairs FROM lsh_runs WHERE id = ?"),
                                             arguments: [Self.rowID(run: number, chunk: chunk)])
                pairs = blob.map(Self.decode) ?? []  // a chunk missing from the table finds nothing
                loaded = chunk
            }
            var i = Self.firstIndex(in: pairs.count) { pairs[$0].key >= key }
            while i < pairs.count, pairs[i].key == key {
                found[key, default: []].append(pairs[i].articleID)
                i += 1
            }
        }
    }

    /// The first index in 0..<count where `isAtOrAfter` holds (it holds from some index on), or count.
    static func firstIndex(in count: Int, where isAtOrAfter: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrAfter(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Rows as 16 bytes each: key and article id, little-endian.
    static func encode(_ pairs: some Collection<BucketPair>) -> Data {
        var data = Data(count: pairs.count * 16)
        data.withUnsafeMutableBytes { raw in
            for (i, pair) in pairs.enumerated() {
                raw.storeBytes(of: pair.key.littleEndian, toByteOffset: i * 16, as: Int64.self)
                raw.storeBytes(of: pair.articleID.littleEndian, toByteOffset: i * 16 + 8, as: Int64.self)
            }
        }
        return data
    }

    static func decode(_ data: Data) -> [BucketPair] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 16)).map { i in
                BucketPair(key: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 16, as: Int64.self)),
                           articleID: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 16 + 8, as: Int64.self)))
            }
        }
    }
}

extension ArticleStore {
    /// Moves the recent rows (`pairs`, sorted) into the keyed tables, in the caller's transaction: as a
    /// new run, or, when `runs` (the runs in `lsh_runs`) already number `runLimit`, together with every
    /// run into `lsh_buckets`. Empties `lsh_recent` and bumps the generation so every in-memory copy
    /// reloads. Returns the runs there are now.
    static func mergeBuckets(_ db: Database, pairs: [BucketPair], runs: [BucketRun], runLimit: Int) throws -> [BucketRun] {
        var runs = runs
        if pairs.isEmpty, runs.count < runLimit { return runs }  // nothing to move: no generation bump, no reload
        if runs.count >= runLimit {
            try mergeIntoKeyedTable(db, runs: runs.map(\.number), and: pairs)
            try db.execute(sql: "DELETE FROM lsh_runs")
            runs = []
        } else {
            let last = try Int64.fetchOne(db, sql: "SELECT max(id) FROM lsh_runs").map { $0 >> 32 } ?? 0
            runs.append(try BucketRun.write(db, number: last + 1, pairs: pairs))
        }
        try db.execute(sql: "DELETE FROM lsh_recent")
        try RecentBuckets.bumpGeneration(db)
        return runs
    }

    /// Inserts the rows of the runs and `pairs` (sorted) into `lsh_buckets` in key order, merging them
    /// as they are read a chunk at a time: holding all of them at once took 150 MB at 16 runs.
    static func mergeIntoKeyedTable(_ db: Database, runs: [Int64], and pairs: [BucketPair]) throws {
        struct Source {
            var pairs: [BucketPair]
            var next = 0
            var run: Int64?  // nil: `pairs` is the whole source
            var chunk = 0
        }
        let read = try db.cachedStatement(sql: "SELECT pairs FROM lsh_runs WHERE id = ?")
        func chunk(_ run: Int64, _ chunk: Int) throws -> [BucketPair] {
            try Data.fetchOne(read, arguments: [BucketRun.rowID(run: run, chunk: chunk)]).map(BucketRun.decode) ?? []
        }
        var sources = try runs.map { Source(pairs: try chunk($0, 0), run: $0) } + [Source(pairs: pairs)]
        var values: [DatabaseValue] = []  // the rows of the next statement, two values a row
        values.reserveCapacity(2 * BatchBuckets.chunk)
        while true {
            var best = -1  // a linear scan: 17 sources at most
            for s in sources.indices where sources[s].next < sources[s].pairs.count {
                if best < 0 || sources[s].pairs[sources[s].next] < sources[best].pairs[sources[best].next] { best = s }
            }
            if best < 0 { break }
            let pair = sources[best].pairs[sources[best].next]
            values.append(pair.key.databaseValue)
            values.append(pair.articleID.databaseValue)
            sources[best].next += 1
            if sources[best].next == sources[best].pairs.count, let run = sources[best].run {
                sources[best].chunk += 1
                sources[best].pairs = try chunk(run, sources[best].chunk)  // empty after the run's last chunk
                sources[best].next = 0
            }
            if values.count == 2 * BatchBuckets.chunk {
                try BatchBuckets.insertRows(db, "INSERT OR IGNORE INTO lsh_buckets (key, article_id)", values)
                values.removeAll(keepingCapacity: true)
            }
        }
        if !values.isEmpty { try BatchBuckets.insertRows(db, "INSERT OR IGNORE INTO lsh_buckets (key, article_id)", values) }
    }

    /// The runs in `lsh_runs`, their numbers only (what `mergeBuckets` needs of them).
    static func runs(_ db: Database) throws -> [BucketRun] {
        try Int64.fetchAll(db, sql: "SELECT DISTINCT id >> 32 FROM lsh_runs ORDER BY 1").map(BucketRun.init(number:))
    }

    /// The rows of `lsh_recent`, sorted (for merging without the writer's in-memory copy).
    static func recentPairs(_ db: Database) throws -> [BucketPair] {
        try Row.fetchAll(db, sql: "SELECT j.value, r.article_id FROM lsh_recent r, json_each(r.keys) j ORDER BY 1, 2")
            .map { BucketPair(key: $0[0], articleID: $0[1]) }
    }
}
