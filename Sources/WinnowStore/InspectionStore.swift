import Foundation

/// What `winnowctl status`, `show`, `dups`, `export` and `follow` read from a store: the SQLite
/// `ArticleStore` and the PostgreSQL store both answer it, so the commands print the same either way.
public protocol InspectionStore: Sendable {
    /// All feeds, active ones first.
    func feeds() throws -> [FeedState]
    /// Row counts per stage and the queues' lengths.
    func counts() throws -> StageCounts
    /// Articles stored and duplicates found on the UTC day of `time`.
    func today(_ time: Double) throws -> (articles: Int, duplicates: Int)
    /// The webhook outbox (empty where the store has none).
    func outboxStatus() throws -> OutboxStatus
    /// Every active feed's state.
    func feedHealth() throws -> [FeedHealth]
    /// Clusters with more than one member, largest first, members in arrival order.
    func duplicateClusters(limit: Int) throws -> [DuplicateCluster]
    /// One stored article with its removals; nil when there is no such article.
    func article(id: Int64) throws -> ArticleDetail?
    /// The members of a cluster, in arrival order.
    func clusterMembers(_ clusterID: Int64) throws -> [DuplicateCluster.Member]
    /// Calls `body` with each article the filter selects, in id order, from one consistent snapshot.
    func exportArticles(_ filter: ExportFilter, _ body: (ExportedArticle) throws -> Void) throws
    /// How many articles `exportArticles` would give.
    func exportCount(_ filter: ExportFilter) throws -> Int
    /// The greatest article id stored (0 when there is none).
    func lastArticleID() throws -> Int64
    /// Whether a feed of this name was ever registered.
    func hasFeed(named name: String) throws -> Bool
}

extension InspectionStore {
    /// Today's counts (UTC).
    public func today() throws -> (articles: Int, duplicates: Int) { try today(Date().timeIntervalSince1970) }
}

extension ArticleStore: InspectionStore {}
