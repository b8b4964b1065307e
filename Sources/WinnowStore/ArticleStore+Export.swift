import Foundation
import GRDB
import WinnowDedup

/// One stored article as it leaves Winnow (`winnowctl export`, `follow`, webhooks): the verdict, the
/// cleaned text and where its date came from, joined from the three stages.
public struct ExportedArticle: Sendable, Equatable {
    public var id: Int64
    public var guid: String?
    public var url: String?
    /// The URL the article page names as its canonical one (`<link rel=canonical>`, `og:url`), when it names one.
    public var canonicalURL: String?
    public var feed: String
    public var title: String?
    public var author: String?
    public var publishedAt: Double?
    /// "feed" (the feed's item date), "page" (the article page's own date) or nil (no date known).
    public var dateSource: String?
    public var fetchedAt: Double
    public var storedAt: Double
    public var text: String
    public var clusterID: Int64
    /// Whether this article is its cluster's canonical article (now: a later article can take over).
    public var canonical: Bool
    public var status: DedupStatus
    public var duplicateOf: Int64?
    public var similarity: Double?
    /// The feed item's files, picture, running time and place; nil when it carries none.
    public var media: ItemMedia? = nil

    public init(id: Int64, guid: String?, url: String?, canonicalURL: String?, feed: String, title: String?, author: String?,
                publishedAt: Double?, dateSource: String?, fetchedAt: Double, storedAt: Double, text: String, clusterID: Int64,
                canonical: Bool, status: DedupStatus, duplicateOf: Int64?, similarity: Double?, media: ItemMedia? = nil) {
        self.id = id
        self.guid = guid
        self.url = url
        self.canonicalURL = canonicalURL
        self.feed = feed
        self.title = title
        self.author = author
        self.publishedAt = publishedAt
        self.dateSource = dateSource
        self.fetchedAt = fetchedAt
        self.storedAt = storedAt
        self.text = text
        self.clusterID = clusterID
        self.canonical = canonical
        self.status = status
        self.duplicateOf = duplicateOf
        self.similarity = similarity
        self.media = media
    }
}

/// Which stored articles to export; the zero value is all of them.
public struct ExportFilter: Sendable, Equatable {
    /// Only articles with a greater id (the cursor: the last id a previous export printed).
    public var afterID: Int64 = 0
    /// Only articles stored at or after this time (seconds since 1970).
    public var storedSince: Double?
    /// Only articles of the feed with this name.
    public var feed: String?
    /// Only each cluster's canonical article.
    public var canonicalOnly = false
    /// At most this many articles.
    public var limit: Int?
    /// Only these articles (webhook deliveries).
    public var ids: [Int64]?

    public init(afterID: Int64 = 0, storedSince: Double? = nil, feed: String? = nil, canonicalOnly: Bool = false, limit: Int? = nil) {
        self.afterID = afterID
        self.storedSince = storedSince
        self.feed = feed
        self.canonicalOnly = canonicalOnly
        self.limit = limit
    }
}

extension ArticleStore {
    /// An export row's columns, in the order both stores decode them by position, before the filter's
    /// conditions (the SQL is the same on SQLite and PostgreSQL).
    public static let exportQuery = """
        SELECT a.id, a.guid, a.url, c.canonical_url, f.name, a.title, a.author, a.published_at,
               r.published_at, c.published_at, r.fetched_at, a.created_at, c.text, a.cluster_id,
               cl.canonical_article_id, a.status, a.duplicate_of, a.similarity, \(mediaColumns)
        FROM articles a
        JOIN clean_articles c ON c.id = a.clean_article_id
        JOIN raw_items r ON r.id = c.raw_item_id
        LEFT JOIN item_media m ON m.raw_item_id = r.id
        JOIN feeds f ON f.id = a.feed_id
        JOIN clusters cl ON cl.id = a.cluster_id
        """

    /// Calls `body` with each article the filter selects, in id order, from one read transaction (a
    /// consistent snapshot, however long the export takes; the daemon keeps writing meanwhile). Rows
    /// are read through a cursor, so memory stays flat whatever the number of articles.
    public func exportArticles(_ filter: ExportFilter, _ body: (ExportedArticle) throws -> Void) throws {
        let (whereClause, arguments) = Self.exportConditions(filter)
        try db.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                \(Self.exportQuery)
                \(whereClause) ORDER BY a.id \(filter.limit.map { "LIMIT \($0)" } ?? "")
                """, arguments: arguments)
            while let row = try rows.next() {
                // By position, in the query's order: a lookup by name compares every column name.
                let id: Int64 = row[0]
                let feedDate: Double? = row[8], pageDate: Double? = row[9]
                let canonicalID: Int64? = row[14]
                try body(ExportedArticle(
                    id: id, guid: row[1], url: row[2], canonicalURL: row[3], feed: row[4], title: row[5], author: row[6],
                    publishedAt: row[7], dateSource: feedDate != nil ? "feed" : pageDate != nil ? "page" : nil,
                    fetchedAt: row[10], storedAt: row[11], text: row[12], clusterID: row[13], canonical: canonicalID == id,
                    status: DedupStatus(rawValue: row[15]) ?? .new, duplicateOf: row[16], similarity: row[17], media: Self.media(row, at: 18)))
            }
        }
    }

    /// How many articles `exportArticles` would give (for a progress bar).
    public func exportCount(_ filter: ExportFilter) throws -> Int {
        let (whereClause, arguments) = Self.exportConditions(filter)
        return try db.read { db in
            let count = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM articles a JOIN feeds f ON f.id = a.feed_id JOIN clusters cl ON cl.id = a.cluster_id \(whereClause)
                """, arguments: arguments) ?? 0
            return filter.limit.map { min($0, count) } ?? count
        }
    }

    /// The greatest article id stored (0 when there is none): where `follow` starts by default.
    public func lastArticleID() throws -> Int64 {
        try db.read { try Int64.fetchOne($0, sql: "SELECT max(id) FROM articles") ?? 0 }
    }

    /// Whether a feed of this name was ever registered (so `--feed` with a typo is an error, not an empty export).
    public func hasFeed(named name: String) throws -> Bool {
        try db.read { try Bool.fetchOne($0, sql: "SELECT 1 FROM feeds WHERE name = ?", arguments: [name]) ?? false }
    }

    static func exportConditions(_ filter: ExportFilter) -> (String, StatementArguments) {
        var conditions = ["a.id > ?"]
        var arguments: StatementArguments = [filter.afterID]
        if let since = filter.storedSince {
            conditions.append("a.created_at >= ?")
            arguments += [since]
        }
        if let feed = filter.feed {
            conditions.append("f.name = ?")
            arguments += [feed]
        }
        if filter.canonicalOnly { conditions.append("cl.canonical_article_id = a.id") }
        if let ids = filter.ids {
            conditions.append("a.id IN (\(ids.isEmpty ? "NULL" : ids.map(String.init).joined(separator: ",")))")
        }
        return ("WHERE " + conditions.joined(separator: " AND "), arguments)
    }
}
