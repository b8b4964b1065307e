import Foundation
import WinnowStore

/// What `winnowctl migrate` finds in its target database.
public enum MigrationTargetState: Sendable, Equatable {
    /// Nothing of Winnow's yet, or an empty Winnow store: the migration starts.
    case empty
    /// A migration from the same source stopped part-way: it goes on.
    case resumable
    /// A migration from the same source finished: there is nothing to do.
    case finished
}

/// Why a database cannot be a migration's target.
public struct MigrationTargetRefused: Error, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "\(url) \(reason)" }
}

/// The PostgreSQL side of `winnowctl migrate`: batches of rows copied with explicit ids (arrays, one
/// `INSERT ... SELECT FROM unnest(...)` a batch), each in the transaction that records how far its
/// source table has been copied (`migration_progress`), so a killed migration goes on from the last
/// committed batch and inserts nothing twice (`ON CONFLICT DO NOTHING` besides).
extension PostgresStore {
    /// Any constant: held (session-level) for a migration's whole run, so two migrations never write one database.
    static let migrationRunLock: Int64 = 0x5769_6E6E_6F77_4D76  // "WinnowMv"

    /// Opens the target of a migration from a source whose fingerprint is `source`: refuses a database
    /// that holds other tables or another store, or that another migration is writing; creates the
    /// tables in an empty one. `from` names the source in messages.
    public static func openMigrationTarget(url: String, source fingerprint: String, from: String) throws -> (PostgresStore, MigrationTargetState) {
        let connection = try PGConnection(url: url)
        let name = connection.displayURL
        guard try connection.query("SELECT pg_try_advisory_lock($1)", [String(migrationRunLock)]).bool(0, 0) == true else {
            throw MigrationTargetRefused(url: name, reason: "is being written by another winnowctl migrate: wait for it to finish, or stop it")
        }
        if try connection.query("SELECT to_regclass('schema_migrations') IS NULL").bool(0, 0) == true {
            let tables = try connection.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
            if tables.count > 0 {
                let names = (0..<tables.count).compactMap { tables.string($0, 0) }
                throw MigrationTargetRefused(url: name, reason: "holds other tables (\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", ..." : "")), not a Winnow store: migrate into a new database (createdb NAME)")
            }
        }
        try PostgresSchema.migrate(connection)
        let store = PostgresStore(connection, url: url, options: Options())
        let marker = try connection.query("SELECT value FROM settings WHERE key = 'migrate.source'").string(0, 0)
        guard let marker else {
            let held = try connection.query("""
                SELECT (SELECT count(*) FROM feeds WHERE name <> 'local'), (SELECT count(*) FROM raw_items), (SELECT count(*) FROM articles),
                       (SELECT count(*) FROM learned_lines)
                """)
            let counts = (0..<4).map { held.int(0, $0)! }
            guard counts.allSatisfy({ $0 == 0 }) else {
                throw MigrationTargetRefused(url: name, reason: "holds a Winnow store already (\(counts[1]) items, \(counts[2]) articles, \(counts[0]) feeds): migrate into a new, empty database (createdb NAME)")
            }
            try connection.query("INSERT INTO settings (key, value) VALUES ('migrate.source', $1), ('migrate.from', $2)", [fingerprint, from])
            return (store, .empty)
        }
        guard marker == fingerprint else {
            let earlier = try connection.query("SELECT value FROM settings WHERE key = 'migrate.from'").string(0, 0) ?? "another store"
            throw MigrationTargetRefused(url: name, reason: "holds a migration from \(earlier) as it was then, and \(from) is not that store or changed since: migrate into a new, empty database (createdb NAME)")
        }
        let finished = try connection.query("SELECT done FROM migration_progress WHERE source_table = 'finished'").bool(0, 0) == true
        return (store, finished ? .finished : .resumable)
    }

    /// How far each source table was copied: its cursor, the rows copied and whether it is done.
    public func migrationProgress() throws -> [String: (cursor: String?, rows: Int, done: Bool)] {
        try withConnection { db in
            let rows = try db.query("SELECT source_table, last_key, rows, done FROM migration_progress")
            var progress: [String: (cursor: String?, rows: Int, done: Bool)] = [:]
            for i in 0..<rows.count { progress[rows.string(i, 0)!] = (rows.string(i, 1), rows.int(i, 2)!, rows.bool(i, 3)!) }
            return progress
        }
    }

    /// The target's types of a source table's columns (`table.columns` order), which `copyMigrationBatch`
    /// casts its arrays to: asked once a table, not once a batch.
    public func migrationColumnTypes(_ table: MigratedTable) throws -> [String] {
        try columnTypes(table.target, table.columns)
    }

    /// Copies one batch of a source table's rows (text columns in `table.columns` order, of the target
    /// `types`) and records `cursor` as how far the table was read, in one transaction. `beforeCommit`
    /// runs between the two (a test kills the process there).
    public func copyMigrationBatch(_ table: MigratedTable, types: [String], rows: [[String?]], cursor: String,
                                   beforeCommit: () -> Void = {}) throws {
        let parameters = table.columns.indices.map { column in PGText.array(rows.map { $0[column] }) }
        let arrays = types.enumerated().map { "$\($0.offset + 1)::\($0.element)[]" }.joined(separator: ", ")
        try write { db in
            try db.query("""
                INSERT INTO \(table.target) (\(table.columns.joined(separator: ", ")))
                SELECT * FROM unnest(\(arrays)) ON CONFLICT DO NOTHING
                """, parameters)
            try db.query("""
                INSERT INTO migration_progress (source_table, last_key, rows) VALUES ($1, $2, $3)
                ON CONFLICT (source_table) DO UPDATE SET last_key = excluded.last_key, rows = migration_progress.rows + excluded.rows
                """, [table.rawValue, cursor, String(rows.count)])
            beforeCommit()
        }
    }

    /// Records that a source table was copied to its end.
    public func finishMigrationTable(_ table: MigratedTable) throws {
        try write { db in
            try db.query("""
                INSERT INTO migration_progress (source_table, done) VALUES ($1, true) ON CONFLICT (source_table) DO UPDATE SET done = true
                """, [table.rawValue])
        }
    }

    /// Ends a migration: each id sequence moves past the copied ids (the next insert would collide
    /// otherwise), and the migration is recorded as finished.
    public func finishMigration() throws {
        try write { db in
            for table in ["feeds", "fetch_log", "raw_items", "clean_articles", "articles"] {
                try db.query("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 0) + 1, false) FROM \(table)")
            }
            try db.query("""
                INSERT INTO migration_progress (source_table, done) VALUES ('finished', true) ON CONFLICT (source_table) DO UPDATE SET done = true
                """)
        }
    }

    /// The types of a table's columns, for the casts of the arrays a batch is sent as.
    func columnTypes(_ table: String, _ columns: [String]) throws -> [String] {
        try withConnection { db in
            let rows = try db.query("""
                SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
                """, [table])
            let types = Dictionary(uniqueKeysWithValues: (0..<rows.count).map { (rows.string($0, 0)!, rows.string($0, 1)!) })
            return try columns.map { column in
                guard let type = types[column] else {
                    throw PGError(url: db.displayURL, message: "table \(table) has no column \(column) (a schema this build does not know)")
                }
                return type
            }
        }
    }
}
