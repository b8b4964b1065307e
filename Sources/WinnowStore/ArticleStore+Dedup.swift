import Foundation
import GRDB
import WinnowDedup

extension ArticleStore {
    /// Stage-2 articles not yet deduplicated, oldest first.
    public func pendingDedup(limit: Int = 100) throws -> [CleanArticle] {
        try db.read { db in
            // A cursor reads each row's values straight from the statement; fetchAll would copy every row first.
            try Array(Row.fetchCursor(db, sql: Self.cleanArticleQuery + " JOIN dedup_queue q ON q.clean_article_id = c.id ORDER BY q.clean_article_id LIMIT ?",
                                      arguments: [limit]).map(Self.cleanArticle))
        }
    }

    /// One stage-2 article by id.
    public func cleanArticle(id: Int64) throws -> CleanArticle? {
        try db.read { db in
            try Row.fetchOne(db, sql: Self.cleanArticleQuery + " WHERE c.id = ?", arguments: [id]).map(Self.cleanArticle)
        }
    }

    static let cleanArticleQuery = """
        SELECT c.id, c.raw_item_id, r.feed_id, r.guid, COALESCE(r.link, c.canonical_url), c.title, c.author,
               COALESCE(r.published_at, c.published_at), c.text, c.text_hash
        FROM clean_articles c JOIN raw_items r ON r.id = c.raw_item_id
        """

    static func cleanArticle(_ row: Row) -> CleanArticle {
        // By position, in `cleanArticleQuery`'s order: a lookup by name compares every column name.
        CleanArticle(id: row[0], rawItemID: row[1], feedID: row[2], guid: row[3], url: row[4], title: row[5], author: row[6],
                     publishedAt: row[7], text: row[8], textHash: row[9])
    }

    /// Refuses to mix signatures made with other parameters; records the parameters on first use.
    public func checkDedupParameters(_ dedup: Deduplicator) throws {
        try db.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'dedup.fingerprint'")
            if let stored, stored != dedup.fingerprint {
                throw StoreError.parameterMismatch(stored: stored, configured: dedup.fingerprint)
            }
            if stored == nil {
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('dedup.fingerprint', ?)", arguments: [dedup.fingerprint])
            }
        }
    }

    /// The stored signature of an article (nil for exact duplicates and empty texts).
    public func signature(articleID: Int64) throws -> Signature? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT shingle_count, signature FROM signatures WHERE article_id = ?", arguments: [articleID])
                .map { Signature(values: StoreText.signature(from: $0["signature"] as Data), shingleCount: $0["shingle_count"]) }
        }
    }

    /// Drops the LSH buckets of articles created before `cutoff` (the retention window), by recomputing
    /// their keys from the stored signatures. Resumable: progress is kept in `settings`. Returns how
    /// many articles left the index.
    @discardableResult
    public func pruneIndex(createdBefore cutoff: Double, with dedup: Deduplicator, batch: Int = 1000) throws -> Int {
        // Rows are deleted from `lsh_buckets` only. When the recent rows or a run hold an article the
        // window drops, everything goes there first; they hold the newest articles, so with a window
        // of days this is rare, and an hourly prune leaves them (and the writer's copy) alone.
        try db.write { db in
            let through = try Self.prunedThrough(db)
            guard let newestDropped = try Int64.fetchOne(db, sql: "SELECT max(id) FROM articles WHERE id > ? AND created_at < ?",
                                                         arguments: [through, cutoff]) else { return }
            let oldestUnmerged = try Int64.fetchOne(db, sql: "SELECT min(id) FROM (SELECT min(article_id) AS id FROM lsh_recent UNION ALL SELECT min(min_article_id) FROM lsh_runs)")
            if let oldestUnmerged, oldestUnmerged <= newestDropped {
                _ = try Self.mergeBuckets(db, pairs: Self.recentPairs(db), runs: Self.runs(db), runLimit: 0)
            }
        }
        var pruned = 0
        while true {
            let done = try db.write { db -> Int in
                let through = try Self.prunedThrough(db)
                let rows = try Row.fetchAll(db, sql: """
                    SELECT a.id, s.signature FROM articles a JOIN signatures s ON s.article_id = a.id
                    WHERE a.id > ? AND a.created_at < ? ORDER BY a.id LIMIT ?
                    """, arguments: [through, cutoff, batch])
                let delete = try db.cachedStatement(sql: "DELETE FROM lsh_buckets WHERE key = ? AND article_id = ?")
                for row in rows {
                    let id: Int64 = row["id"]
                    for key in dedup.banding.bucketKeys(StoreText.signature(from: row["signature"] as Data)) {
                        try delete.execute(arguments: [key, id])
                    }
                }
                if let last = rows.last?["id"] as Int64? {
                    try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('dedup.pruned_through', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                   arguments: [String(last)])
                }
                return rows.count
            }
            pruned += done
            if done < batch { return pruned }
        }
    }

    /// The last article id whose buckets a prune has dealt with (0 before the first).
    static func prunedThrough(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'dedup.pruned_through'") ?? 0
    }

    /// Empties stage 3 (and with `includingClean`, stage 2) so it can be rebuilt from the earlier stage,
    /// after a rule or parameter change. One transaction.
    public func resetStages(includingClean: Bool) throws {
        try db.write { db in
            try db.execute(sql: """
                DELETE FROM lsh_buckets; DELETE FROM lsh_runs; DELETE FROM lsh_recent; DELETE FROM lsh_filter; DELETE FROM signatures;
                DELETE FROM articles; DELETE FROM clusters;
                DELETE FROM settings WHERE key IN ('dedup.fingerprint', 'dedup.pruned_through');
                DELETE FROM dedup_queue;
                DELETE FROM daily_counts;
                UPDATE stage_counts SET value = 0 WHERE name IN ('articles', 'clusters', 'duplicates');
                """)
            try RecentBuckets.bumpGeneration(db)
            if includingClean {
                try db.execute(sql: """
                    DELETE FROM clean_articles; DELETE FROM clean_queue;
                    INSERT INTO clean_queue (raw_item_id) SELECT id FROM raw_items;
                    UPDATE stage_counts SET value = 0 WHERE name = 'clean';
                    """)
            } else {
                try db.execute(sql: "INSERT INTO dedup_queue (clean_article_id) SELECT id FROM clean_articles")
            }
        }
    }
}
