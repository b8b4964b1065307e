import Foundation
import WinnowClean
import WinnowDedup
import WinnowStore

extension PostgresStore: InspectionStore {
    /// Row counts per stage, counted (no maintained counts: see PostgresSchema).
    public func counts() throws -> StageCounts {
        try withConnection { db in
            let row = try db.query("""
                SELECT (SELECT count(*) FROM raw_items), (SELECT count(*) FROM clean_articles), (SELECT count(*) FROM articles),
                       (SELECT count(*) FROM clusters), (SELECT count(*) FROM articles WHERE status <> 'new'),
                       (SELECT count(*) FROM clean_queue), (SELECT count(*) FROM dedup_queue)
                """)
            return StageCounts(raw: row.int(0, 0)!, clean: row.int(0, 1)!, articles: row.int(0, 2)!, clusters: row.int(0, 3)!,
                               duplicates: row.int(0, 4)!, pendingClean: row.int(0, 5)!, pendingDedup: row.int(0, 6)!)
        }
    }

    public func today(_ time: Double) throws -> (articles: Int, duplicates: Int) {
        let start = (time / 86_400).rounded(.down) * 86_400
        return try withConnection { db in
            let row = try db.query("""
                SELECT count(*), count(*) FILTER (WHERE status <> 'new') FROM articles
                WHERE created_at >= $1::double precision AND created_at < $1::double precision + 86400
                """, [String(start)])
            return (row.int(0, 0)!, row.int(0, 1)!)
        }
    }

    /// The PostgreSQL store has no webhook outbox yet.
    public func outboxStatus() throws -> OutboxStatus { OutboxStatus(depth: 0, delivered: 0) }

    public func feedHealth() throws -> [FeedHealth] {
        try withConnection { db in
            let rows = try db.query("""
                SELECT f.name, f.paused, f.consecutive_errors, f.last_status,
                       CASE WHEN f.consecutive_errors > 0 THEN
                           (SELECT max(l.started_at) FROM fetch_log l WHERE l.feed_id = f.id AND l.error_class IS NULL)
                       END
                FROM feeds f WHERE f.active AND f.name <> 'local' ORDER BY f.name
                """)
            return (0..<rows.count).map { i in
                let errors = rows.int(i, 2)!, status = rows.int(i, 3)
                let state: FeedHealth.State = rows.bool(i, 1)! ? .paused
                    : errors == 0 ? .ok
                    : status == 429 || status == 503 ? .hostResting : .failing
                return FeedHealth(name: rows.string(i, 0)!, state: state, consecutiveErrors: errors, lastSuccessAt: rows.double(i, 4))
            }
        }
    }

    public func duplicateClusters(limit: Int) throws -> [DuplicateCluster] {
        try withConnection { db in
            let clusters = try db.query("SELECT id, canonical_article_id FROM clusters WHERE size > 1 ORDER BY size DESC, id LIMIT $1", [String(limit)])
            return try (0..<clusters.count).map { i in
                DuplicateCluster(clusterID: clusters.int64(i, 0)!, canonicalArticleID: clusters.int64(i, 1)!,
                                 members: try Self.members(db, cluster: clusters.int64(i, 0)!))
            }
        }
    }

    public func clusterMembers(_ clusterID: Int64) throws -> [DuplicateCluster.Member] {
        try withConnection { try Self.members($0, cluster: clusterID) }
    }

    static func members(_ db: PGConnection, cluster: Int64) throws -> [DuplicateCluster.Member] {
        let rows = try db.query("""
            SELECT a.id, f.name, a.title, a.url, a.status, a.similarity, a.match_kind
            FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.cluster_id = $1 ORDER BY a.id
            """, [String(cluster)])
        return (0..<rows.count).map { i in
            DuplicateCluster.Member(articleID: rows.int64(i, 0)!, feed: rows.string(i, 1)!, title: rows.string(i, 2), url: rows.string(i, 3),
                                    status: DedupStatus(rawValue: rows.string(i, 4)!) ?? .new, similarity: rows.double(i, 5),
                                    matchKind: rows.string(i, 6))
        }
    }

    public func article(id: Int64) throws -> ArticleDetail? {
        let rows = try withConnection { db in
            try db.query("""
                SELECT a.id, f.name, a.guid, a.url, a.title, a.author, a.published_at, t.text, a.status, a.cluster_id,
                       c.canonical_article_id, a.duplicate_of, a.similarity, a.containment, a.match_kind, a.created_at, t.removed_json,
                       \(ArticleStore.mediaColumns)
                FROM articles a JOIN clean_articles t ON t.id = a.clean_article_id LEFT JOIN item_media m ON m.raw_item_id = t.raw_item_id
                JOIN feeds f ON f.id = a.feed_id JOIN clusters c ON c.id = a.cluster_id WHERE a.id = $1
                """, [String(id)])
        }
        guard rows.count > 0 else { return nil }
        let removed = try JSONDecoder().decode([Removal].self, from: Data(rows.string(0, 16)!.utf8))
        return ArticleDetail(id: rows.int64(0, 0)!, feed: rows.string(0, 1)!, guid: rows.string(0, 2), url: rows.string(0, 3),
                             title: rows.string(0, 4), author: rows.string(0, 5), publishedAt: rows.double(0, 6), text: rows.string(0, 7)!,
                             status: DedupStatus(rawValue: rows.string(0, 8)!) ?? .new, clusterID: rows.int64(0, 9)!,
                             canonicalArticleID: rows.int64(0, 10)!, duplicateOf: rows.int64(0, 11), similarity: rows.double(0, 12),
                             containment: rows.double(0, 13), matchKind: rows.string(0, 14), createdAt: rows.double(0, 15)!, removed: removed,
                             media: Self.media(rows, 0, at: 17))
    }

    /// Articles the filter selects, in id order, from one REPEATABLE READ snapshot, read a page of
    /// 1,000 at a time so memory stays flat however many there are.
    public func exportArticles(_ filter: ExportFilter, _ body: (ExportedArticle) throws -> Void) throws {
        try withConnection { db in
            try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { try? db.execute("ROLLBACK") }
            var after = filter.afterID
            var remaining = filter.limit ?? Int.max
            while remaining > 0 {
                var page = filter
                page.afterID = after
                let (conditions, parameters) = Self.exportConditions(page)
                let rows = try db.query("""
                    \(ArticleStore.exportQuery)
                    \(conditions) ORDER BY a.id LIMIT \(min(remaining, 1000))
                    """, parameters)
                for i in 0..<rows.count {
                    let id = rows.int64(i, 0)!
                    let feedDate = rows.double(i, 8), pageDate = rows.double(i, 9)
                    try body(ExportedArticle(
                        id: id, guid: rows.string(i, 1), url: rows.string(i, 2), canonicalURL: rows.string(i, 3), feed: rows.string(i, 4)!,
                        title: rows.string(i, 5), author: rows.string(i, 6), publishedAt: rows.double(i, 7),
                        dateSource: feedDate != nil ? "feed" : pageDate != nil ? "page" : nil, fetchedAt: rows.double(i, 10)!,
                        storedAt: rows.double(i, 11)!, text: rows.string(i, 12)!, clusterID: rows.int64(i, 13)!,
                        canonical: rows.int64(i, 14) == id, status: DedupStatus(rawValue: rows.string(i, 15)!) ?? .new,
                        duplicateOf: rows.int64(i, 16), similarity: rows.double(i, 17), media: Self.media(rows, i, at: 18)))
                    after = id
                }
                remaining -= rows.count
                if rows.count < 1000 { break }
            }
        }
    }

    /// The item's media read from the SQLite store's `mediaColumns` (selected in that order) starting at
    /// `column` of row `row` (nil: the item has none).
    static func media(_ rows: PGResult, _ row: Int, at column: Int) -> ItemMedia? {
        ItemMedia(columns: rows.string(row, column), imageURL: rows.string(row, column + 1), duration: rows.double(row, column + 2),
                  latitude: rows.double(row, column + 3), longitude: rows.double(row, column + 4), geometry: rows.string(row, column + 5))
    }

    public func exportCount(_ filter: ExportFilter) throws -> Int {
        let (conditions, parameters) = Self.exportConditions(filter)
        let count = try withConnection { db in
            try db.query("SELECT count(*) FROM articles a JOIN feeds f ON f.id = a.feed_id JOIN clusters cl ON cl.id = a.cluster_id \(conditions)",
                         parameters).int(0, 0)!
        }
        return filter.limit.map { min($0, count) } ?? count
    }

    public func lastArticleID() throws -> Int64 {
        try withConnection { try $0.query("SELECT coalesce(max(id), 0) FROM articles").int64(0, 0)! }
    }

    public func hasFeed(named name: String) throws -> Bool {
        try withConnection { try $0.query("SELECT 1 FROM feeds WHERE name = $1", [name]).count > 0 }
    }

    static func exportConditions(_ filter: ExportFilter) -> (String, [String?]) {
        var conditions = ["a.id > $1::bigint"]
        var parameters: [String?] = [String(filter.afterID)]
        if let since = filter.storedSince {
            parameters.append(String(since))
            conditions.append("a.created_at >= $\(parameters.count)::double precision")
        }
        if let feed = filter.feed {
            parameters.append(feed)
            conditions.append("f.name = $\(parameters.count)")
        }
        if filter.canonicalOnly { conditions.append("cl.canonical_article_id = a.id") }
        if let ids = filter.ids {
            parameters.append(PGText.array(ids))
            conditions.append("a.id = ANY($\(parameters.count)::bigint[])")
        }
        return ("WHERE " + conditions.joined(separator: " AND "), parameters)
    }
}
