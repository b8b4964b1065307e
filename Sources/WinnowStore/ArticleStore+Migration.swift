import Foundation
import GRDB

/// A part of a SQLite store that `winnowctl migrate` copies into another store, in this order (a row's
/// references come before it). Each is read in key order after a cursor, so a copy killed half-way
/// goes on from the last batch its target committed.
///
/// What is not copied, and why: `stage_counts` and `daily_counts` (the PostgreSQL store counts its
/// tables), `dedup.recent_generation` (the SQLite writer's cache marker), the webhook outbox (the
/// PostgreSQL store has none yet: `webhookDeliveriesOwed` says how many deliveries that leaves).
public enum MigratedTable: String, CaseIterable, Sendable {
    case feeds, fetchLog = "fetch_log", rawItems = "raw_items", itemMedia = "item_media", cleanArticles = "clean_articles"
    case cleanQueue = "clean_queue", clusters, articles, dedupQueue = "dedup_queue", signatures
    /// Bucket rows live in three SQLite tables (see docs/dedup-index.md), all copied into one keyed table.
    case bucketRows = "lsh_buckets", bucketRuns = "lsh_runs", recentBuckets = "lsh_recent"
    case learnedLines = "learned_lines", settings

    /// The table the rows go into.
    public var target: String {
        switch self {
        case .bucketRuns, .recentBuckets: return "lsh_buckets"
        default: return rawValue
        }
    }

    /// The columns of each row handed out, as the target table names them.
    public var columns: [String] {
        switch self {
        case .feeds:
            return ["id", "name", "url", "configured_url", "etag", "last_modified", "next_fetch_at", "last_fetch_at", "last_status",
                    "last_error", "consecutive_errors", "active", "paused", "item_count"]
        case .fetchLog: return ["id", "feed_id", "started_at", "duration_ms", "http_status", "bytes", "new_items", "error_class", "error"]
        case .rawItems:
            return ["id", "feed_id", "guid", "link", "title", "author", "published_at", "published_raw", "summary", "content",
                    "content_hash", "fetched_at"]
        case .itemMedia: return ["raw_item_id", "enclosures", "image_url", "duration", "latitude", "longitude", "geometry"]
        case .cleanArticles:
            return ["id", "raw_item_id", "title", "author", "text", "text_hash", "removed_json", "cleaned_at", "published_at", "canonical_url"]
        case .cleanQueue: return ["raw_item_id"]
        case .clusters: return ["id", "canonical_article_id", "size", "created_at", "updated_at"]
        case .articles:
            return ["id", "clean_article_id", "feed_id", "guid", "url", "title", "author", "published_at", "text_hash", "status",
                    "cluster_id", "duplicate_of", "similarity", "containment", "match_kind", "created_at"]
        case .dedupQueue: return ["clean_article_id"]
        case .signatures: return ["article_id", "shingle_count", "signature"]
        case .bucketRows, .bucketRuns, .recentBuckets: return ["key", "article_id"]
        case .learnedLines: return ["source", "line", "articles", "first_seen", "last_seen"]
        case .settings: return ["key", "value"]
        }
    }

    /// Source rows a row of this table expands to, roughly: a batch of `limit` rows reads `limit / this`.
    var rowsPerSourceRow: Int {
        switch self {
        case .bucketRuns: return BucketRun.rowsPerChunk
        case .recentBuckets: return 32
        default: return 1
        }
    }
}

/// A batch of rows read for migration: text as PostgreSQL's input reads it (integers and reals in
/// decimal, blobs as `\x` and hex digits, nil for NULL), and the cursor to read on from.
public struct MigrationBatch: Sendable {
    public var rows: [[String?]]
    /// Opaque: hand it back to read the next batch. Nil when the table had no rows after the cursor.
    public var cursor: String?
}

extension ArticleStore {
    /// Where this database's schema stands against this build's migrations: the ones it has that this
    /// build does not know (written by a newer Winnow), and the ones this build would still apply.
    public func schemaState() throws -> (unknown: [String], pending: [String]) {
        try db.read { db in
            let applied = try Schema.migrator.appliedIdentifiers(db)
            let known = Schema.migrator.migrations
            return (applied.subtracting(known).sorted(), known.filter { !applied.contains($0) })
        }
    }

    /// Settings that belong to the SQLite writer alone.
    static let localSettings = ["dedup.recent_generation"]

    /// How many rows `migrationRows` hands out for a table in all (bucket rows unpacked).
    public func migrationRowCount(_ table: MigratedTable) throws -> Int {
        try db.read { db in
            let sql: String
            switch table {
            case .bucketRuns: sql = "SELECT coalesce(sum(length(pairs)) / 16, 0) FROM lsh_runs"
            case .recentBuckets: sql = "SELECT coalesce(sum(json_array_length(keys)), 0) FROM lsh_recent"
            case .settings: sql = "SELECT count(*) FROM settings WHERE key NOT IN ('\(Self.localSettings.joined(separator: "','"))')"
            default: sql = "SELECT count(*) FROM \(table.rawValue)"
            }
            return try Int.fetchOne(db, sql: sql) ?? 0
        }
    }

    /// A fingerprint of what the store holds (its tables' sizes and last ids): a migration resumed
    /// from a store that changed in between would end with a mixture, so it is refused.
    public func migrationFingerprint() throws -> String {
        try db.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM feeds), (SELECT max(id) FROM feeds), (SELECT max(id) FROM fetch_log),
                       (SELECT count(*) FROM raw_items), (SELECT max(id) FROM raw_items), (SELECT count(*) FROM clean_articles),
                       (SELECT max(id) FROM clean_articles), (SELECT count(*) FROM articles), (SELECT max(id) FROM articles),
                       (SELECT count(*) FROM clusters), (SELECT count(*) FROM learned_lines), (SELECT count(*) FROM lsh_recent),
                       (SELECT count(*) FROM lsh_runs)
                """)!
            return (0..<row.count).map { (row[$0] as Int64?).map(String.init) ?? "-" }.joined(separator: "/")
        }
    }

    /// Webhook deliveries the outbox still owes (not migrated: the PostgreSQL store has no outbox yet).
    public func webhookDeliveriesOwed() throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM webhook_outbox") ?? 0 }
    }

    /// Up to about `limit` rows of a table after `cursor` (nil: from the start), in key order.
    public func migrationRows(_ table: MigratedTable, after cursor: String?, limit: Int) throws -> MigrationBatch {
        let sourceLimit = max(1, limit / table.rowsPerSourceRow)
        return try db.read { db in
            switch table {
            case .bucketRows:
                // Keyed (key, article_id) without a rowid: the cursor is the last pair.
                let after = cursor.map { $0.split(separator: ":").compactMap { Int64($0) } } ?? []
                let rows = try Row.fetchAll(db, sql: after.count == 2
                    ? "SELECT key, article_id FROM lsh_buckets WHERE (key, article_id) > (?, ?) ORDER BY key, article_id LIMIT ?"
                    : "SELECT key, article_id FROM lsh_buckets ORDER BY key, article_id LIMIT ?",
                    arguments: StatementArguments(after + [Int64(sourceLimit)]))
                return MigrationBatch(rows: rows.map { [String($0[0] as Int64), String($0[1] as Int64)] },
                                      cursor: rows.last.map { "\($0[0] as Int64):\($0[1] as Int64)" })
            case .bucketRuns:
                let rows = try Row.fetchAll(db, sql: "SELECT id, pairs FROM lsh_runs WHERE id > ? ORDER BY id LIMIT ?",
                                            arguments: [Int64(cursor ?? "") ?? Int64.min, sourceLimit])
                let pairs = rows.flatMap { BucketRun.decode($0[1]) }
                return MigrationBatch(rows: pairs.map { [String($0.key), String($0.articleID)] }, cursor: rows.last.map { String($0[0] as Int64) })
            case .recentBuckets:
                let rows = try Row.fetchAll(db, sql: "SELECT rowid, article_id, keys FROM lsh_recent WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                            arguments: [Int64(cursor ?? "") ?? 0, sourceLimit])
                var pairs: [[String?]] = []
                for row in rows {
                    let article: Int64 = row[1]
                    let keys = try JSONDecoder().decode([Int64].self, from: Data((row[2] as String).utf8))
                    pairs += keys.map { [String($0), String(article)] }
                }
                return MigrationBatch(rows: pairs, cursor: rows.last.map { String($0[0] as Int64) })
            case .learnedLines:
                // Keyed (source, line): the cursor is the last pair, as a JSON array.
                let after = try cursor.map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
                let columns = table.columns.joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: after.count == 2
                    ? "SELECT \(columns) FROM learned_lines WHERE (source, line) > (?, ?) ORDER BY source, line LIMIT ?"
                    : "SELECT \(columns) FROM learned_lines ORDER BY source, line LIMIT ?",
                    arguments: StatementArguments(after.map { $0 as (any DatabaseValueConvertible) } + [sourceLimit]))
                let last = try rows.last.map { String(decoding: try JSONEncoder().encode([$0[0] as String, $0[1] as String]), as: UTF8.self) }
                return MigrationBatch(rows: rows.map(Self.texts), cursor: last)
            case .settings:
                let rows = try Row.fetchAll(db, sql: """
                    SELECT key, value FROM settings WHERE key > ? AND key NOT IN ('\(Self.localSettings.joined(separator: "','"))') ORDER BY key LIMIT ?
                    """, arguments: [cursor ?? "", sourceLimit])
                return MigrationBatch(rows: rows.map(Self.texts), cursor: rows.last.map { $0[0] as String })
            default:
                // Every other table has an integer key, the first column.
                let key = table.columns[0]
                let rows = try Row.fetchAll(db, sql: """
                    SELECT \(table.columns.joined(separator: ", ")) FROM \(table.rawValue) WHERE \(key) > ? ORDER BY \(key) LIMIT ?
                    """, arguments: [Int64(cursor ?? "") ?? Int64.min, sourceLimit])
                return MigrationBatch(rows: rows.map(Self.texts), cursor: rows.last.map { String($0[0] as Int64) })
            }
        }
    }

    /// A row's values as text input (see MigrationBatch).
    static func texts(_ row: Row) -> [String?] {
        row.databaseValues.map { value in
            switch value.storage {
            case .null: return nil
            case .int64(let n): return String(n)
            case .double(let d): return d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : "\(d)"
            case .string(let s): return s
            case .blob(let data): return StoreText.bytea(data)
            }
        }
    }
}
