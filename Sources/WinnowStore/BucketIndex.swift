import Foundation
import GRDB
import WinnowDedup

// The LSH bucket rows live in three tables, a small log-structured merge tree: an article's keys are
// first appended to `lsh_recent` (a plain rowid table, so appending is sequential; one row an article,
// its keys a JSON array), which the writer also holds in memory as `RecentBuckets`; when it holds
// `recentBucketLimit` bucket rows they are sorted and written as one run of `lsh_runs` (see
// BucketRuns.swift), and when `runLimit` runs have piled up they are merged into `lsh_buckets` (keyed
// by bucket) in one pass in key order. A merge into a keyed table rewrites most of its pages, so
// merging the recent rows straight into `lsh_buckets` rewrote the whole index every 8,000 articles:
// a 10 s stall at a million articles. Inserting 32 random keys an article straight into the keyed
// B-tree dirtied a page per key at every commit; appending one row a key was a sixth of stage 3's time
// at 100,000 articles, one row an article cut the appends' SQL time from 0.20 to 0.02 s over 30,000
// articles. SQLite's `json_each` unpacks the keys where rows are needed.

/// The writer's in-memory view of the bucket tables: the committed rows of `lsh_recent`, the runs'
/// indexes, and a filter of the keys in the runs and `lsh_buckets`. It is refreshed at the start of
/// every stage-3 transaction from what is committed (the rows appended since, or all of them after a
/// merge, which bumps `dedup.recent_generation`), so a rolled-back batch or another writer process
/// never leaves it wrong.
struct RecentBuckets: Sendable {
    var chains = BucketChains()
    var runs: [BucketRun] = []
    var generation: Int64 = -1
    var loadedThrough: Int64 = 0
    /// Keys that may be in the runs or `lsh_buckets`: a key it rules out needs no lookup.
    var stored: KeyFilter?
    /// The generation this process's own last merge set, whose rows it already has in `runs` and `stored`.
    var mergedGeneration: Int64?

    mutating func refresh(_ db: Database) throws {
        let current = try Self.generation(db)
        if current == generation {
            if mergedGeneration != nil {
                // Our last merge was rolled back: the runs are reread; the filter may keep its keys,
                // which costs lookups, never a missed candidate.
                var none: KeyFilter?
                runs = try BucketRun.loadAll(db, into: &none)
                mergedGeneration = nil
            }
        } else if current == mergedGeneration {
            // After our own merge, the runs and the filter already hold the merged rows.
            let (runs, stored) = (self.runs, self.stored)
            self = RecentBuckets(generation: current)
            (self.runs, self.stored) = (runs, stored)
        } else {
            // After anyone else's change (a reset, another process) everything is reread.
            self = RecentBuckets(generation: current)
            var filter: KeyFilter? = try KeyFilter.persisted(db, generation: current) ?? KeyFilter.stored(db)
            runs = try BucketRun.loadAll(db, into: &filter)
            stored = filter
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT r.rowid, j.value, r.article_id FROM lsh_recent r, json_each(r.keys) j WHERE r.rowid > ? ORDER BY r.rowid
            """, arguments: [loadedThrough])
        while let row = try rows.next() {
            chains.add(row[1], id: row[2])
            loadedThrough = row[0]
        }
    }

    init(generation: Int64 = -1) { self.generation = generation }

    /// Adds articles this process has just committed to `lsh_recent`, the last of them at `lastRowID`
    /// (one multi-row insert after another in one transaction gives them consecutive rowids). When
    /// other rows came between, they are read at the next refresh instead.
    mutating func appendCommitted(_ articles: [BatchBuckets.Article], lastRowID: Int64) {
        guard loadedThrough == lastRowID - Int64(articles.count) else { return }
        for article in articles {
            for key in article.keys { chains.add(key, id: article.id) }
        }
        loadedThrough = lastRowID
    }

    /// Moves `lsh_recent` (with the batch's own rows, already appended) into a new run, or with every
    /// run into `lsh_buckets`, in the caller's transaction, from the in-memory copy. The filter takes
    /// the keys first: if the transaction rolls back it holds a few keys too many, which costs
    /// lookups, never a missed candidate.
    mutating func merge(_ db: Database, batch: [BatchBuckets.Article], runLimit: Int) throws {
        var pairs: [BucketPair] = []
        pairs.reserveCapacity(chains.count + batch.reduce(0) { $0 + $1.keys.count })
        chains.forEachRow { pairs.append(BucketPair(key: $0, articleID: $1)) }
        for article in batch { for key in article.keys { pairs.append(BucketPair(key: key, articleID: article.id)) } }
        for pair in pairs { stored?.insert(pair.key) }
        pairs.sort()
        let intoKeyedTable = runs.count >= runLimit
        runs = try ArticleStore.mergeBuckets(db, pairs: pairs, runs: runs, runLimit: runLimit)
        mergedGeneration = try Self.generation(db)
        // The filter now holds every key of the keyed table: kept for the next process to start.
        if intoKeyedTable, let stored, let mergedGeneration { try stored.persist(db, generation: mergedGeneration) }
    }

    /// The committed `dedup.recent_generation` (0 before the first merge).
    static func generation(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'dedup.recent_generation'") ?? 0
    }

    /// Moves `dedup.recent_generation` on, in the caller's transaction, so every in-memory copy reloads.
    static func bumpGeneration(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO settings (key, value) VALUES ('dedup.recent_generation', '1')
                ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
            """)
    }
}

/// A Bloom filter of bucket keys, two probes a key. Bucket keys are already well-mixed hashes, so each
/// probe is a bit field of the key itself. Deleted rows (retention) leave their bits set, which only
/// costs lookups.
struct KeyFilter: Sendable {
    private var words: [UInt64]
    private let mask: UInt64
    private let shifts: (UInt64, UInt64)

    /// 2^`bitCountLog2` bits, probed by the key's bit fields that start at `shifts`.
    init(bitCountLog2: Int, shifts: (UInt64, UInt64)) {
        words = [UInt64](repeating: 0, count: 1 << (bitCountLog2 - 6))
        mask = 1 << UInt64(bitCountLog2) - 1
        self.shifts = shifts
    }

    /// The filter of every stored key (the runs' and `lsh_buckets`'), in a fixed 16 MB (so memory does
    /// not grow with the index). Most keys of a new article were never seen, and each one it rules out
    /// saves a B-tree descent that mostly misses the page cache: that was a quarter of stage 3's time at
    /// 100,000 articles. False positives: about 0.2% at 100,000 indexed articles, 14% at a million.
    /// It reads every key of `lsh_buckets` (a sequential scan of its primary key); the runs add theirs
    /// as they are loaded.
    static func stored(_ db: Database) throws -> KeyFilter {
        var filter = KeyFilter(bitCountLog2: 27, shifts: (0, 32))
        let keys = try Int64.fetchCursor(db, sql: "SELECT key FROM lsh_buckets")
        while let key = try keys.next() { filter.insert(key) }
        return filter
    }

    /// The filter a merge into `lsh_buckets` kept (`persist`), when nothing has been merged into that
    /// table since; else nil (the caller scans). Sound whoever wrote since, this build or an older
    /// one: a merge into the keyed table, or a reset, moves the generation on without adding a run,
    /// and each new run moves it on by one, so the generation is the kept one plus the runs present
    /// exactly when neither happened. (Retention's deletes leave bits set, which only costs lookups.)
    static func persisted(_ db: Database, generation current: Int64) throws -> KeyFilter? {
        guard let row = try Row.fetchOne(db, sql: "SELECT generation, bits FROM lsh_filter WHERE id = 1") else { return nil }
        let runs = Int64(try ArticleStore.runs(db).count)
        guard (row[0] as Int64) + runs == current, let bits = row[1] as Data? else { return nil }
        var filter = KeyFilter(bitCountLog2: 27, shifts: (0, 32))
        guard bits.count == filter.words.count * 8 else { return nil }
        bits.withUnsafeBytes { raw in
            for i in filter.words.indices { filter.words[i] = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        }
        return filter
    }

    /// Keeps this filter (the stored one, holding every key of `lsh_buckets`) with the generation the
    /// merge that filled the table set, in the caller's transaction.
    func persist(_ db: Database, generation: Int64) throws {
        var data = Data(count: words.count * 8)
        data.withUnsafeMutableBytes { raw in
            for (i, word) in words.enumerated() { raw.storeBytes(of: word.littleEndian, toByteOffset: i * 8, as: UInt64.self) }
        }
        try db.execute(sql: "INSERT OR REPLACE INTO lsh_filter (id, generation, bits) VALUES (1, ?, ?)", arguments: [generation, data])
    }

    /// The filter of one run's keys: 256 KB, about 5% false positives at the 262,144 keys of a run.
    /// Its bit fields are not the stored filter's, so a key that fools one is not likelier to fool the other.
    static func run() -> KeyFilter { KeyFilter(bitCountLog2: 21, shifts: (22, 43)) }

    private func probes(_ key: Int64) -> (Int, Int) {
        let k = UInt64(bitPattern: key)
        return (Int(truncatingIfNeeded: (k >> shifts.0) & mask), Int(truncatingIfNeeded: (k >> shifts.1) & mask))
    }

    mutating func insert(_ key: Int64) {
        let (a, b) = probes(key)
        words[a >> 6] |= 1 << UInt64(a & 63)
        words[b >> 6] |= 1 << UInt64(b & 63)
    }

    func mayContain(_ key: Int64) -> Bool {
        let (a, b) = probes(key)
        return words[a >> 6] & (1 << UInt64(a & 63)) != 0 && words[b >> 6] & (1 << UInt64(b & 63)) != 0
    }
}

/// The bucket rows one stage-3 batch needs: those of the runs and `lsh_buckets` for its keys, read
/// slice by slice in key order; the recent ones; and the batch's own, indexed in memory as its
/// articles are decided and appended to `lsh_recent` at the end.
struct BatchBuckets {
    var stored: [Int64: [Int64]] = [:]
    var added = BucketChains()
    /// The batch's indexed articles, in order, with their bucket keys.
    var newArticles: [Article] = []

    struct Article {
        var id: Int64
        var keys: [Int64]
    }

    /// Bucket rows the batch adds.
    var newRowCount: Int { newArticles.reduce(0) { $0 + $1.keys.count } }

    /// Rows (or keys) per statement: two variables a row, well inside SQLite's limit of 32,766.
    static let chunk = 500

    /// Reads the rows of the runs and `lsh_buckets` for these keys; keys the filter rules out are skipped.
    mutating func prefetch(_ db: Database, keys: [Int64], filter: KeyFilter?, runs: [BucketRun]) throws {
        let sorted = Deduplicator.sortedUnique(keys).filter { filter?.mayContain($0) ?? true }
        for start in stride(from: 0, to: sorted.count, by: Self.chunk) {
            let part = sorted[start..<min(start + Self.chunk, sorted.count)]
            let sql = "SELECT key, article_id FROM lsh_buckets WHERE key IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))"
            let rows = try Row.fetchCursor(Self.statement(db, sql, full: part.count == Self.chunk), arguments: StatementArguments(part.map { $0.databaseValue }))
            while let row = try rows.next() { stored[row[0], default: []].append(row[1]) }
        }
        for run in runs { try run.lookup(db, sortedKeys: sorted, into: &stored) }
    }

    /// Articles sharing at least one bucket with these keys, each once, in id order.
    func candidates(_ keys: [Int64], recent: BucketChains) -> [Int64] {
        var ids: [Int64] = []
        for key in keys {
            if let found = stored[key] { ids.append(contentsOf: found) }
            recent.forEach(key) { ids.append($0) }
            added.forEach(key) { ids.append($0) }
        }
        return Deduplicator.sortedUnique(ids)
    }

    mutating func add(_ keys: [Int64], article: Int64) {
        for key in keys { added.add(key, id: article) }
        newArticles.append(Article(id: article, keys: keys))
    }

    /// Keys as a JSON array of integers, which SQLite's `json_each` reads back exactly (64-bit).
    static func jsonArray(_ keys: [Int64]) -> String {
        var json = "["
        json.reserveCapacity(keys.count * 21 + 2)
        for (i, key) in keys.enumerated() {
            if i > 0 { json += "," }
            json += String(key)
        }
        return json + "]"
    }

    /// Appends the batch's articles to `lsh_recent`.
    func write(_ db: Database) throws {
        for start in stride(from: 0, to: newArticles.count, by: Self.chunk) {
            let part = newArticles[start..<min(start + Self.chunk, newArticles.count)]
            var values: [DatabaseValue] = []
            values.reserveCapacity(part.count * 2)
            for article in part { values.append(article.id.databaseValue); values.append(Self.jsonArray(article.keys).databaseValue) }
            try Self.insertRows(db, "INSERT INTO lsh_recent (article_id, keys)", values)
        }
    }

    /// Inserts up to `chunk` two-column rows in one statement: `insert` is the statement up to VALUES,
    /// `values` the rows' values in order.
    static func insertRows(_ db: Database, _ insert: String, _ values: [DatabaseValue]) throws {
        let rows = values.count / 2
        let sql = "\(insert) VALUES \(Array(repeating: "(?, ?)", count: rows).joined(separator: ","))"
        try statement(db, sql, full: rows == chunk).execute(arguments: StatementArguments(values))
    }

    /// A full chunk's statement is cached; a shorter one is prepared for this use only. Caching every
    /// length kept up to 500 prepared statements of each shape alive, tens of MB that grew for the
    /// daemon's first hours.
    static func statement(_ db: Database, _ sql: String, full: Bool) throws -> Statement {
        try full ? db.cachedStatement(sql: sql) : db.makeStatement(sql: sql)
    }
}

extension ArticleStore {
    /// All bucket rows, in the three tables (for tools and tests).
    public func bucketRowCount() throws -> Int {
        try db.read(Self.bucketRowCount)
    }

    static func bucketRowCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT (SELECT count(*) FROM lsh_buckets) + (SELECT coalesce(sum(length(pairs)), 0) / 16 FROM lsh_runs)
                 + (SELECT count(*) FROM lsh_recent r, json_each(r.keys))
            """) ?? 0
    }
}
