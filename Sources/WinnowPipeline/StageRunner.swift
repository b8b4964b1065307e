import Foundation
import Logging
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowStore

/// Moves items through stage 2 (clean) and stage 3 (dedup), one transaction per item per stage.
public struct StageRunner: Sendable {
    let store: ArticleStore
    let defaultCleaner: Cleaner
    let cleanersByFeed: [Int64: Cleaner]
    public let deduplicator: Deduplicator
    let logger: Logger

    public init(store: ArticleStore, defaultCleaner: Cleaner, cleanersByFeed: [Int64: Cleaner] = [:],
                deduplicator: Deduplicator, logger: Logger) {
        self.store = store
        self.defaultCleaner = defaultCleaner
        self.cleanersByFeed = cleanersByFeed
        self.deduplicator = deduplicator
        self.logger = logger
    }

    /// Cleans one stage-1 item and stores it in stage 2.
    public func clean(_ raw: RawItem) throws -> (id: Int64, document: CleanedDocument) {
        let cleaner = cleanersByFeed[raw.feedID] ?? defaultCleaner
        let document = cleaner.clean(document: raw.item.body ?? "", title: raw.item.title, author: raw.item.author)
        let id = try store.saveClean(rawItemID: raw.id, document: document, textHash: deduplicator.textHash(document.text))
        return (id, document)
    }

    /// Runs both stages until nothing is pending or the task is cancelled (graceful shutdown):
    /// whatever is not done stays in its earlier stage for the next start.
    public func drain() throws -> (cleaned: Int, deduplicated: Int) {
        var cleaned = 0, deduplicated = 0
        while !Task.isCancelled {
            let batch = try store.pendingClean(limit: 100)
            if batch.isEmpty { break }
            for raw in batch where !Task.isCancelled {
                let (id, document) = try clean(raw)
                cleaned += 1
                logger.debug("article cleaned", metadata: [
                    "stage": "clean", "clean.id": .stringConvertible(id), "clean.removed": .stringConvertible(document.removed.count),
                ])
            }
        }
        while !Task.isCancelled {
            let batch = try store.pendingDedup(limit: 100)
            if batch.isEmpty { break }
            for article in batch where !Task.isCancelled {
                let result = try store.deduplicate(article, with: deduplicator)
                deduplicated += 1
                var metadata: Logger.Metadata = [
                    "stage": "dedup", "article.id": .stringConvertible(result.articleID),
                    "dedup.status": "\(result.status.rawValue)", "cluster.id": .stringConvertible(result.clusterID),
                ]
                if let of = result.duplicateOf { metadata["dedup.duplicate_of"] = .stringConvertible(of) }
                if let s = result.similarity { metadata["dedup.similarity"] = .stringConvertible(s) }
                logger.info("article stored", metadata: metadata)
            }
        }
        return (cleaned, deduplicated)
    }
}
