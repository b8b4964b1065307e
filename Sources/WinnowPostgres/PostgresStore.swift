import Foundation
import Synchronization
import WinnowDedup
import WinnowStore

/// The staged article store on PostgreSQL, for several processes (daemons on several machines,
/// `winnowctl ingest` runs) sharing one store. The same stages and meaning as the SQLite store;
/// what several writers need on top:
/// - the stage queues are leased: each process takes rows whose lease is free or expired, so an item
///   is worked on by one process at a time, and a dead process's items are taken over when its lease
///   runs out (on the database clock);
/// - dedup locks each article's keys (`pg_advisory_xact_lock`) before reading its candidates, so two
///   processes never both call near-identical articles new (see PostgresDedupTransaction);
/// - writes are idempotent on natural keys (a raw item's clean article, a clean article's article),
///   since an item can be processed twice when a lease expires under a slow process.
///
/// Calls are synchronous, on one connection under a lock (the SQLite store's writer-thread shape).
public final class PostgresStore: Sendable {
    private let connection: PGConnection
    private let lock = NSLock()
    /// A second connection for claiming stage-1 items: the stage runner reads the next clean batch on
    /// another thread while the dedup transaction holds the first connection.
    private let claims: PGConnection?
    private let claimLock = NSLock()
    /// The URL without its password.
    public let displayURL: String
    /// The URL itself, for connections opened later (`takeTurn`'s).
    let url: String
    /// The connection host turns are taken on, opened on first use (see `takeTurn`).
    let turns = Mutex<PGConnection?>(nil)
    /// Who holds this store's leases: host, process and a random part (a restarted process is a new owner).
    public let owner: String
    public let options: Options

    /// How the store coordinates with other processes; the defaults are what production runs.
    public struct Options: Sendable {
        /// How long a claimed queue row stays this process's.
        public var lease: Duration = .seconds(600)
        /// Whether dedup takes advisory locks on each article's keys. Only a test turns this off, to
        /// show the race the locks prevent.
        public var advisoryLocks = true
        /// A pause between an article's candidate read and its insert. Only a test sets this, to widen
        /// the race window.
        public var delayBeforeInsert: Duration = .zero
        public init() {}
    }

    init(_ connection: PGConnection, url: String, claims: PGConnection? = nil, options: Options) {
        displayURL = connection.displayURL
        self.url = url
        self.connection = connection
        self.claims = claims
        self.options = options
        let host = ProcessInfo.processInfo.hostName
        owner = "\(host):\(getpid()):\(UUID().uuidString.prefix(8))"
    }

    /// Connects to a `postgresql://` URL and runs pending migrations.
    public static func open(url: String, options: Options = Options()) throws -> PostgresStore {
        let connection = try PGConnection(url: url)
        try PostgresSchema.migrate(connection)
        return PostgresStore(connection, url: url, claims: try PGConnection(url: url), options: options)
    }

    /// Connects to a store that exists already, and says so when the database holds no Winnow store.
    /// For reading, it runs no migration; `migrating` (a command that rewrites the store) runs the
    /// pending ones and opens the second connection the stage runner claims with.
    public static func openExisting(url: String, migrating: Bool = false) throws -> PostgresStore {
        let connection = try PGConnection(url: url)
        guard try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").bool(0, 0) == true else {
            throw StoreError.missingDatabase(connection.displayURL)
        }
        guard migrating else { return PostgresStore(connection, url: url, options: Options()) }
        try PostgresSchema.migrate(connection)
        return PostgresStore(connection, url: url, claims: try PGConnection(url: url), options: Options())
    }

    /// Runs `body` with the connection (one caller at a time).
    func withConnection<Result>(_ body: (PGConnection) throws -> Result) throws -> Result {
        try lock.withLock { try body(connection) }
    }

    /// Runs `body` in one transaction on the claiming connection (the main one for a read-only store).
    func claim<Result>(_ body: (PGConnection) throws -> Result) throws -> Result {
        guard let claims else { return try write(body) }
        return try claimLock.withLock { try claims.transaction { try body(claims) } }
    }

    /// Runs `body` in one transaction (retried on deadlock: `body` must be repeatable).
    func write<Result>(_ body: (PGConnection) throws -> Result) throws -> Result {
        try lock.withLock { try connection.transaction { try body(connection) } }
    }

    /// The lease length as a PostgreSQL interval parameter.
    var leaseInterval: String {
        let (seconds, attoseconds) = options.lease.components
        return "\(Double(seconds) + Double(attoseconds) / 1e18) seconds"
    }

    /// Refuses to mix signatures made with other parameters; records the parameters on first use.
    public func checkDedupParameters(_ dedup: Deduplicator) throws {
        try write { db in
            try db.query("INSERT INTO settings (key, value) VALUES ('dedup.fingerprint', $1) ON CONFLICT (key) DO NOTHING", [dedup.fingerprint])
            let stored = try db.query("SELECT value FROM settings WHERE key = 'dedup.fingerprint'").string(0, 0)
            if let stored, stored != dedup.fingerprint {
                throw StoreError.parameterMismatch(stored: stored, configured: dedup.fingerprint)
            }
        }
    }
}
