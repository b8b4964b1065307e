import Foundation
import GRDB
import Synchronization
import WinnowClean
import WinnowDedup
import WinnowFeeds

/// The staged article store. Every stage transition is one transaction, so a crash leaves each item
/// wholly in one stage and the next start resumes from there.
public final class ArticleStore: Sendable {
    let db: any DatabaseWriter
    /// Bucket rows in `lsh_recent` beyond which they are merged into a run: the bound on the memory
    /// the recent index takes (about 40 bytes a row, so 10 MB by default; see BucketIndex.swift).
    let recentBucketLimit: Int
    /// Runs in `lsh_runs` beyond which they are merged into `lsh_buckets` (see BucketRuns.swift).
    let runLimit: Int
    let recentBuckets = Mutex(RecentBuckets())
    /// Checkpoints a file database's log off the writer's thread; held here, observed weakly by the
    /// writer (a database-lifetime observer kept the pool from ever closing).
    let checkpointer: WALCheckpointer?

    public static let defaultRecentBucketLimit = 262_144

    /// Sixteen runs hold 4.2 million bucket rows and take about 4 MB of the writer's memory: the
    /// keyed table is rewritten once every 130,000 articles.
    public static let defaultRunLimit = 16

    init(_ db: any DatabaseWriter, recentBucketLimit: Int = ArticleStore.defaultRecentBucketLimit, runLimit: Int = ArticleStore.defaultRunLimit,
         checkpointer: WALCheckpointer? = nil) throws {
        self.db = db
        self.checkpointer = checkpointer
        if let checkpointer { db.add(transactionObserver: checkpointer, extent: .observerLifetime) }
        self.recentBucketLimit = recentBucketLimit
        self.runLimit = runLimit
    }

    /// The write-ahead log's size past which a background checkpoint copies it into the database.
    public static let checkpointBytes = 32 << 20
    /// The log's size in pages past which the writer checkpoints it itself (the background checkpoint
    /// fell behind): 256 MB at a new database's 16 KB pages.
    static let writerCheckpointPages = 16_384

    /// Opens (creating when missing) the database file in WAL mode and runs pending migrations.
    /// `checkpointBytes` is the log's size past which a background checkpoint starts (tests make it small).
    public static func open(path: String, recentBucketLimit: Int = defaultRecentBucketLimit, runLimit: Int = defaultRunLimit,
                            checkpointBytes: Int = checkpointBytes) throws -> ArticleStore {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // WAL makes NORMAL durable across crashes (only a power loss can drop the last commits).
            // A 64 MB page cache keeps the LSH buckets' upper B-tree levels and hot leaves in memory.
            // 16 KB pages (a new database's; an existing one keeps its own) hold a news article's text in
            // one page where 4 KB pages chained it over two or three: the writer spent 17% less time
            // on an ingest of 10,000 articles.
            // The log is checkpointed by a `WALCheckpointer` past `checkpointBytes`; the writer's own
            // automatic checkpoint is the fallback, at a larger size.
            try db.execute(sql: """
                PRAGMA page_size = 16384; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
                PRAGMA wal_autocheckpoint = \(writerCheckpointPages)
                """)
        }
        let pool = try DatabasePool(path: path, configuration: config)
        try Schema.migrator.migrate(pool)
        return try ArticleStore(pool, recentBucketLimit: recentBucketLimit, runLimit: runLimit,
                                checkpointer: try WALCheckpointer(path: path, threshold: checkpointBytes))
    }

    /// Opens an existing database for reading only (what `winnowctl` does while the daemon writes).
    public static func openReadOnly(path: String) throws -> ArticleStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingDatabase(path) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        return try ArticleStore(DatabaseQueue(path: path, configuration: config))
    }

    /// A private in-memory database, for tests.
    public static func inMemory(recentBucketLimit: Int = defaultRecentBucketLimit, runLimit: Int = defaultRunLimit) throws -> ArticleStore {
        let queue = try DatabaseQueue()
        try Schema.migrator.migrate(queue)
        return try ArticleStore(queue, recentBucketLimit: recentBucketLimit, runLimit: runLimit)
    }

    /// What stops the database from being written, when `error` says the trouble is the disk or the
    /// file rather than the data: a full disk, a read-only file or file system, an I/O error. Nil for
    /// any other error. Such trouble passes by itself (space is freed, the file system is remounted), so
    /// the daemon waits it out instead of stopping.
    public static func storageTrouble(in error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return "the disk holding the database is full"
        case .SQLITE_READONLY: return "the database is read-only (its file or its file system)"
        case .SQLITE_IOERR: return "the database's disk gave an I/O error"
        case .SQLITE_CANTOPEN: return "the database's files cannot be opened"
        default: return nil
        }
    }

    /// Adds to a maintained count, in the caller's transaction.
    static func count(_ db: Database, _ name: String, by delta: Int) throws {
        try db.cachedStatement(sql: "UPDATE stage_counts SET value = value + ? WHERE name = ?").execute(arguments: [delta, name])
    }

    public func integrityCheck() throws -> String {
        try db.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "no answer" }
    }
}
