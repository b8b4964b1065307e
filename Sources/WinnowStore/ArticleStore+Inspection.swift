import Foundation
import GRDB
import WinnowClean
import WinnowDedup
import WinnowFeeds

extension ArticleStore {
    // MARK: Inspection

    /// Row counts per stage, from the maintained counts (constant time however large the store).
    public func counts() throws -> StageCounts {
        try db.read { db in
            let counts = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, value FROM stage_counts")
                .map { ($0["name"] as String, $0["value"] as Int) })
            return StageCounts(raw: counts["raw"] ?? 0, clean: counts["clean"] ?? 0, articles: counts["articles"] ?? 0,
                               clusters: counts["clusters"] ?? 0, duplicates: counts["duplicates"] ?? 0,
                               pendingClean: try Int.fetchOne(db, sql: "SELECT count(*) FROM clean_queue") ?? 0,
                               pendingDedup: try Int.fetchOne(db, sql: "SELECT count(*) FROM dedup_queue") ?? 0)
        }
    }

    /// Articles stored and duplicates found on the UTC day of `time`.
    public func today(_ time: Double = Date().timeIntervalSince1970) throws -> (articles: Int, duplicates: Int) {
        try db.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT articles, duplicates FROM daily_counts WHERE day = ?",
                                       arguments: [Int64((time / 86_400).rounded(.down))])
            return (row?["articles"] ?? 0, row?["duplicates"] ?? 0)
        }
    }

    /// The maintained counts against the rows themselves (slow; for tests and consistency checks).
    public func countsAreConsistent() throws -> Bool {
        let kept = try counts()
        return try db.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            let actual = [
                try count("SELECT count(*) FROM feeds f WHERE f.item_count != (SELECT count(*) FROM raw_items r WHERE r.feed_id = f.id)"),
                try count("SELECT count(*) FROM raw_items"), try count("SELECT count(*) FROM clean_articles"),
                try count("SELECT count(*) FROM articles"), try count("SELECT count(*) FROM clusters"),
                try count("SELECT count(*) FROM articles WHERE status != 'new'"),
            ]
            return actual == [0, kept.raw, kept.clean, kept.articles, kept.clusters, kept.duplicates]
        }
    }

    /// Clusters with more than one member, largest first, members in arrival order.
    public func duplicateClusters(limit: Int = 100) throws -> [DuplicateCluster] {
        try db.read { db in
            let clusters = try Row.fetchAll(db, sql: """
                SELECT id, canonical_article_id FROM clusters WHERE size > 1 ORDER BY size DESC, id LIMIT ?
                """, arguments: [limit])
            return try clusters.map { cluster in
                let members = try Self.members(db, cluster: cluster["id"])
                return DuplicateCluster(clusterID: cluster["id"], canonicalArticleID: cluster["canonical_article_id"], members: members)
            }
        }
    }

    static func members(_ db: Database, cluster: Int64) throws -> [DuplicateCluster.Member] {
        try Row.fetchAll(db, sql: """
            SELECT a.id, f.name, a.title, a.url, a.status, a.similarity, a.match_kind
            FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.cluster_id = ? ORDER BY a.id
            """, arguments: [cluster]).map { row in
            DuplicateCluster.Member(articleID: row["id"], feed: row["name"], title: row["title"], url: row["url"],
                                    status: DedupStatus(rawValue: row["status"]) ?? .new, similarity: row["similarity"],
                                    matchKind: row["match_kind"])
        }
    }

    /// One stored article with its removals; nil when there is no such article.
    public func article(id: Int64) throws -> ArticleDetail? {
        let found = try db.read { db -> (Row, Int64, ItemMedia?)? in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.*, t.text, t.raw_item_id, f.name AS feed, c.canonical_article_id FROM articles a
                JOIN clean_articles t ON t.id = a.clean_article_id
                JOIN feeds f ON f.id = a.feed_id JOIN clusters c ON c.id = a.cluster_id WHERE a.id = ?
                """, arguments: [id]) else { return nil }
            let media = try Row.fetchOne(db, sql: "SELECT \(Self.mediaColumns) FROM item_media m WHERE m.raw_item_id = ?",
                                         arguments: [row["raw_item_id"] as Int64]).flatMap { Self.media($0, at: 0) }
            return (row, row["clean_article_id"], media)
        }
        guard let (row, cleanID, media) = found else { return nil }
        return ArticleDetail(id: row["id"], feed: row["feed"], guid: row["guid"], url: row["url"], title: row["title"],
                             author: row["author"], publishedAt: row["published_at"], text: row["text"],
                             status: DedupStatus(rawValue: row["status"]) ?? .new, clusterID: row["cluster_id"],
                             canonicalArticleID: row["canonical_article_id"], duplicateOf: row["duplicate_of"],
                             similarity: row["similarity"], containment: row["containment"], matchKind: row["match_kind"],
                             createdAt: row["created_at"], removed: try removals(cleanArticleID: cleanID), media: media)
    }

    /// The members of a cluster, in arrival order.
    public func clusterMembers(_ clusterID: Int64) throws -> [DuplicateCluster.Member] {
        try db.read { try Self.members($0, cluster: clusterID) }
    }

    /// Failed fetches in `fetch_log` by error class (`http-5xx`, `timeout`, `parse`, ...), since `time`.
    public func fetchErrors(since time: Double = 0) throws -> [String: Int] {
        try db.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT error_class, count(*) AS n FROM fetch_log WHERE error_class IS NOT NULL AND started_at >= ? GROUP BY error_class
                """, arguments: [time]).map { ($0["error_class"] as String, $0["n"] as Int) })
        }
    }

    /// Whether the database answers a query (the watchdog's check).
    public func healthCheck() -> Bool {
        (try? db.read { try Int.fetchOne($0, sql: "SELECT 1") }) == 1
    }

    /// Whether the file holds Winnow's tables (a SQLite file of another program's does not); throws
    /// SQLite's error for a file that is not a database at all.
    public func isWinnowDatabase() throws -> Bool {
        try db.read { try $0.tableExists("articles") }
    }

    /// How many migrations the database has committed.
    public func migrationCount() throws -> Int {
        try db.read { db in
            guard try db.tableExists("grdb_migrations") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") ?? 0
        }
    }

    /// Fetch attempts logged with this HTTP status.
    public func fetchCount(httpStatus: Int) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM fetch_log WHERE http_status = ?", arguments: [httpStatus]) ?? 0 }
    }

    /// The store checked against itself, row by row (slow: for the crash harness, soaks and tests).
    public func consistencyReport() throws -> ConsistencyReport {
        let countsConsistent = try countsAreConsistent()
        return try db.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            return ConsistencyReport(
                integrity: try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer",
                distinctItems: try count("SELECT count(*) FROM (SELECT DISTINCT feed_id, guid FROM raw_items)"),
                items: try count("SELECT count(*) FROM raw_items"),
                cleanWithoutItem: try count("SELECT count(*) FROM clean_articles c LEFT JOIN raw_items r ON r.id = c.raw_item_id WHERE r.id IS NULL"),
                articlesWithoutClean: try count("SELECT count(*) FROM articles a LEFT JOIN clean_articles c ON c.id = a.clean_article_id WHERE c.id IS NULL"),
                articlesWithoutCluster: try count("SELECT count(*) FROM articles a LEFT JOIN clusters c ON c.id = a.cluster_id WHERE c.id IS NULL"),
                clustersWithoutCanonical: try count("SELECT count(*) FROM clusters c LEFT JOIN articles a ON a.id = c.canonical_article_id WHERE a.id IS NULL"),
                clustersMissized: try count("SELECT count(*) FROM clusters c WHERE c.size != (SELECT count(*) FROM articles a WHERE a.cluster_id = c.id)"),
                signaturesWithoutArticle: try count("SELECT count(*) FROM signatures s LEFT JOIN articles a ON a.id = s.article_id WHERE a.id IS NULL"),
                signatures: try count("SELECT count(*) FROM signatures"),
                bucketRows: try Self.bucketRowCount(db),
                queued: try count("SELECT (SELECT count(*) FROM clean_queue) + (SELECT count(*) FROM dedup_queue)"),
                countsConsistent: countsConsistent)
        }
    }

    /// Stored items whose guid is `prefix` + another item's guid (a republished copy, as the crash
    /// harness and soak publish them) and whose article is in that item's article's cluster.
    public func copiesInTheirOriginalsCluster(guidPrefix prefix: String) throws -> Int {
        try db.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM raw_items c
                JOIN raw_items o ON o.guid = substr(c.guid, ?1) AND substr(c.guid, 1, ?2) = ?3
                JOIN clean_articles cc ON cc.raw_item_id = c.id JOIN articles ca ON ca.clean_article_id = cc.id
                JOIN clean_articles oc ON oc.raw_item_id = o.id JOIN articles oa ON oa.clean_article_id = oc.id
                WHERE ca.cluster_id = oa.cluster_id
                """, arguments: [prefix.utf8.count + 1, prefix.utf8.count, prefix]) ?? 0
        }
    }

    /// Runs a read-only SQL query: for the store's own tests only (`@testable import`); nothing outside
    /// the store speaks SQL.
    func scalar(_ sql: String) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: sql) ?? 0 }
    }
}

/// The store checked against itself: each count that should be zero, and the figures the checks compare.
public struct ConsistencyReport: Sendable, Codable, Equatable {
    /// `PRAGMA integrity_check`'s answer ("ok" when the file is sound).
    public var integrity: String
    /// Stage-1 items by (feed, guid), and all stage-1 rows: equal unless an item was stored twice.
    public var distinctItems: Int
    public var items: Int
    public var cleanWithoutItem: Int
    public var articlesWithoutClean: Int
    public var articlesWithoutCluster: Int
    public var clustersWithoutCanonical: Int
    public var clustersMissized: Int
    public var signaturesWithoutArticle: Int
    public var signatures: Int
    /// Rows in the three LSH bucket tables: one a band for every signature.
    public var bucketRows: Int
    /// Items left in the clean and dedup queues.
    public var queued: Int
    /// Whether the maintained counts agree with the rows.
    public var countsConsistent: Bool

    /// What is wrong, a sentence each; empty when every check passed. `bands` is the index's bands a signature.
    public func problems(bands: Int) -> [String] {
        var found: [String] = []
        func check(_ ok: Bool, _ what: String) { if !ok { found.append(what) } }
        check(integrity == "ok", "PRAGMA integrity_check is not ok: \(integrity)")
        check(distinctItems == items, "\(items - distinctItems) stage-1 items are stored twice")
        check(cleanWithoutItem == 0, "a stage-2 row has no stage-1 row")
        check(articlesWithoutClean == 0, "an article has no stage-2 row")
        check(articlesWithoutCluster == 0, "an article points at a missing cluster")
        check(clustersWithoutCanonical == 0, "a cluster points at a missing canonical article")
        check(clustersMissized == 0, "a cluster's size disagrees with its members")
        check(signaturesWithoutArticle == 0, "a signature has no article")
        check(bucketRows == signatures * bands, "the LSH tables do not hold one row a band for every signature")
        check(countsConsistent, "the maintained counts disagree with the rows")
        return found
    }
}
