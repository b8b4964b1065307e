import Foundation
import GRDB
import WinnowClean
import WinnowDedup
import WinnowFeeds

extension ArticleStore {
    // MARK: Stage 2

    /// Stage-1 items not yet cleaned, oldest first.
    public func pendingClean(limit: Int = 100, after: Int64? = nil) throws -> [RawItem] {
        try db.read { db in
            // A cursor reads each row's values straight from the statement; fetchAll would copy every row
            // (its column names included) first.
            try Array(Row.fetchCursor(db, sql: """
                SELECT r.* FROM clean_queue q JOIN raw_items r ON r.id = q.raw_item_id
                WHERE q.raw_item_id > ? ORDER BY q.raw_item_id LIMIT ?
                """, arguments: [after ?? 0, limit]).map { row in
                let published: Double? = row["published_at"]
                return RawItem(id: row["id"], feedID: row["feed_id"], item: FeedItem(
                    guid: row["guid"], link: row["link"], title: row["title"], author: row["author"],
                    published: published.map { Date(timeIntervalSince1970: $0) }, publishedRaw: row["published_raw"],
                    summary: row["summary"], content: row["content"]))
            })
        }
    }

    /// Moves one item to stage 2.
    @discardableResult
    public func saveClean(rawItemID: Int64, document: CleanedDocument, textHash: String, at time: Double = Date().timeIntervalSince1970) throws -> Int64 {
        try saveClean([(rawItemID, document, textHash)], at: time)[0]
    }

    /// Moves a batch of items to stage 2 in one transaction; returns the new ids in order.
    public func saveClean(_ batch: [(rawItemID: Int64, document: CleanedDocument, textHash: String)],
                          at time: Double = Date().timeIntervalSince1970) throws -> [Int64] {
        try saveClean(batch, observing: [], learnAt: 0, at: time).ids
    }

    /// Moves a batch of items to stage 2 and counts each observed line once more for its source (one
    /// article's short paragraphs), in one transaction. Returns the new ids in order, and the lines
    /// whose count reached `minCount` articles in this batch: the caller's in-memory set of learned
    /// lines grows by exactly these once the transaction has committed, so it never has to reread it.
    public func saveClean(_ batch: [(rawItemID: Int64, document: CleanedDocument, textHash: String)],
                          observing observations: [(source: String, lines: [String])], learnAt minCount: Int,
                          at time: Double = Date().timeIntervalSince1970) throws -> (ids: [Int64], learned: [(source: String, line: String)]) {
        let encoder = JSONEncoder()
        let rows = try batch.map { ($0.rawItemID, $0.document, $0.textHash, String(decoding: try encoder.encode($0.document.removed), as: UTF8.self)) }
        return try db.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO clean_articles (raw_item_id, title, author, text, text_hash, removed_json, cleaned_at, published_at, canonical_url)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let dequeue = try db.cachedStatement(sql: "DELETE FROM clean_queue WHERE raw_item_id = ?")
            let enqueue = try db.cachedStatement(sql: "INSERT INTO dedup_queue (clean_article_id) VALUES (?)")
            let ids = try rows.map { rawID, document, hash, removed in
                try insert.execute(arguments: [rawID, document.title, document.author, document.text, hash, removed, time,
                                               document.publishedAt?.timeIntervalSince1970, document.canonicalURL])
                let id = db.lastInsertedRowID
                try dequeue.execute(arguments: [rawID])
                try enqueue.execute(arguments: [id])
                return id
            }
            try Self.count(db, "clean", by: ids.count)
            var learned: [(source: String, line: String)] = []
            if observations.contains(where: { !$0.lines.isEmpty }) {
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO learned_lines (source, line, articles, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)
                    ON CONFLICT (source, line) DO UPDATE SET articles = articles + 1, last_seen = excluded.last_seen
                    RETURNING articles
                    """)
                for (source, lines) in observations {
                    for line in lines {
                        let count = try Int.fetchOne(upsert, arguments: [source, line, time, time])
                        if minCount > 0, count == minCount { learned.append((source, line)) }
                    }
                }
            }
            return (ids, learned)
        }
    }

    /// Every source's lines seen in at least `minCount` articles (what cleaning removes as learned
    /// boilerplate), read once when the stage runner starts.
    public func learnedLines(minCount: Int) throws -> [String: Set<String>] {
        guard minCount > 0 else { return [:] }
        return try db.read { db in
            var result: [String: Set<String>] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT source, line FROM learned_lines WHERE articles >= ?", arguments: [minCount])
            while let row = try rows.next() { result[row[0] as String, default: []].insert(row[1]) }
            return result
        }
    }

    /// The removals recorded for a cleaned article.
    public func removals(cleanArticleID: Int64) throws -> [Removal] {
        let json = try db.read { try String.fetchOne($0, sql: "SELECT removed_json FROM clean_articles WHERE id = ?", arguments: [cleanArticleID]) }
        guard let json else { return [] }
        return try JSONDecoder().decode([Removal].self, from: Data(json.utf8))
    }
}
