import Foundation
import WinnowDedup
import WinnowStore

/// Retention of the dedup index on PostgreSQL, as on SQLite (docs/dedup-index.md): the bucket rows of
/// articles stored before the window are deleted, by recomputing their keys from their signatures;
/// the articles stay, they are no longer matched. `dedup.pruned_through` records how far it went.
///
/// Why not partitions dropped whole, nor an index by article (measured in docs/scale-out.md): a
/// lookup of a slice's keys probes every partition's index (12 partitions made it 8x slower), and
/// the index by article cost a third of the bucket insert time to spare the hourly prune a key lookup.
extension PostgresStore {
    /// Deletes the bucket rows of articles created before `cutoff`, `batch` articles a transaction (each
    /// moving `dedup.pruned_through` on), and returns how many articles left the index. Idempotent,
    /// and safe beside writers: only rows of articles older than the window go.
    @discardableResult
    public func pruneIndex(createdBefore cutoff: Double, with dedup: Deduplicator, batch: Int = 1000) throws -> Int {
        var pruned = 0
        while true {
            let done = try write { db -> Int in
                let through = try db.query("SELECT value::bigint FROM settings WHERE key = 'dedup.pruned_through'").int64(0, 0) ?? 0
                let rows = try db.query("""
                    SELECT a.id, s.shingle_count, s.signature FROM articles a JOIN signatures s ON s.article_id = a.id
                    WHERE a.id > $1 AND a.created_at < $2 ORDER BY a.id LIMIT $3
                    """, [String(through), String(cutoff), String(batch)])
                guard rows.count > 0 else { return 0 }
                var keys: [Int64] = [], articles: [Int64] = []
                for i in 0..<rows.count {
                    let id = rows.int64(i, 0)!
                    for key in dedup.banding.bucketKeys(StoreText.signature(from: rows.bytes(i, 2)!)) {
                        keys.append(key)
                        articles.append(id)
                    }
                }
                try db.query("""
                    DELETE FROM lsh_buckets b USING unnest($1::bigint[], $2::bigint[]) AS d(key, article_id)
                    WHERE b.key = d.key AND b.article_id = d.article_id
                    """, [PGText.array(keys), PGText.array(articles)])
                try db.query("""
                    INSERT INTO settings (key, value) VALUES ('dedup.pruned_through', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, [String(rows.int64(rows.count - 1, 0)!)])
                return rows.count
            }
            pruned += done
            if done < batch { return pruned }
        }
    }
}
