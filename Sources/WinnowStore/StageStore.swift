import Foundation
import WinnowClean
import WinnowDedup
import WinnowFeeds

/// What the stage runner (the daemon's stages, `winnowctl ingest` and `reprocess`) needs of a store,
/// and nothing more: the SQLite `ArticleStore` and the PostgreSQL store both implement it, so the
/// stages run unchanged on either. The dedup stage's own needs are `DedupStore`'s.
public protocol StageStore: DedupStore, Sendable {
    /// Refuses to mix signatures made with other parameters; records the parameters on first use.
    func checkDedupParameters(_ dedup: Deduplicator) throws
    /// Adds the configured feeds and updates their URLs; feeds no longer configured stop being polled.
    func register(feeds: [FeedRegistration]) throws -> [FeedState]
    /// All feeds, active ones first.
    func feeds() throws -> [FeedState]
    /// Every source's lines seen in at least `minCount` articles.
    func learnedLines(minCount: Int) throws -> [String: Set<String>]
    /// Moves a batch to stage 2 and counts the observed lines, in one transaction; returns the new ids
    /// in order and at least the lines whose count reached `minCount` in this batch (a store shared by
    /// several processes also returns what the others learned for the batch's sources).
    func saveClean(_ batch: [(rawItemID: Int64, document: CleanedDocument, textHash: String)],
                   observing observations: [(source: String, lines: [String])], learnAt minCount: Int) throws
        -> (ids: [Int64], learned: [(source: String, line: String)])
    /// Stage-1 items waiting for cleaning, oldest first, only those after item `after` when given (the
    /// ones up to it are being cleaned already); a store shared by several processes hands each item to
    /// one of them at a time.
    func pendingClean(limit: Int, after: Int64?) throws -> [RawItem]
    /// Stage-2 articles waiting for dedup, oldest first (the same).
    func pendingDedup(limit: Int) throws -> [CleanArticle]
    /// Stores local documents as stage-1 items of the built-in `local` feed, queued for cleaning.
    func addLocalItems(_ items: [FeedItem]) throws -> [RawItem]
}

extension StageStore {
    /// Stage-1 items waiting for cleaning, oldest first.
    public func pendingClean(limit: Int) throws -> [RawItem] {
        try pendingClean(limit: limit, after: nil)
    }
}

extension ArticleStore: StageStore {
    public func saveClean(_ batch: [(rawItemID: Int64, document: CleanedDocument, textHash: String)],
                          observing observations: [(source: String, lines: [String])], learnAt minCount: Int) throws
        -> (ids: [Int64], learned: [(source: String, line: String)]) {
        try saveClean(batch, observing: observations, learnAt: minCount, at: Date().timeIntervalSince1970)
    }

    public func addLocalItems(_ items: [FeedItem]) throws -> [RawItem] {
        try addLocalItems(items, at: Date().timeIntervalSince1970)
    }
}
