/// What the dedup stage needs of a store, and nothing more: a store (SQLite, an in-memory one in the
/// tests) implements it, and `DedupStage` makes every decision. All calls of one batch happen inside
/// one transaction of the store's (`DedupStore.withDedupTransaction`), so a batch is stored whole or
/// not at all.
public protocol DedupTransaction {
    /// The earliest stored article, not itself an exact duplicate, whose normalized text has this hash.
    func earliestArticle(textHash: String) throws -> StoredArticle?
    /// The earliest stored article, not itself an exact duplicate, with this URL.
    func earliestArticle(url: String) throws -> StoredArticle?
    /// The earliest stored article, not itself an exact duplicate, with this guid from a feed other than `feedID`.
    func earliestArticle(guid: String, notFromFeed feedID: Int64) throws -> StoredArticle?

    /// Claims what the next articles will be decided on, before anything about them is read: a
    /// store shared by several processes locks their keys here (band keys, text hash, URL, guid), so
    /// two processes never both call near-identical articles new. Called once a slice, before
    /// `prefetch`. A store with one writer does nothing (the default).
    mutating func reserve(_ articles: [CleanArticle], keys: [Int64]) throws
    /// Readies the bucket rows of these keys (a slice of a batch, in one sorted pass), so the
    /// `candidates` calls that follow are answered from memory. A hint: a store may do nothing.
    mutating func prefetch(keys: [Int64]) throws
    /// The stored articles (this batch's included) that share at least one bucket with these keys,
    /// each once, in id order.
    func candidates(keys: [Int64]) throws -> [Int64]
    /// An article's stored signature (nil for exact duplicates and texts without words).
    func signature(articleID: Int64) throws -> Signature?
    /// An article's cleaned text, for exact verification of a candidate.
    func text(articleID: Int64) throws -> String?
    /// The cluster each of these articles belongs to (by article id), as a plain read: on a store
    /// several processes share, a hint (another process may merge two of them meanwhile).
    func clusters(of articleIDs: [Int64]) throws -> [Int64: Int64]
    /// `clusters(of:)`, the clusters held until the transaction ends: a store shared by several
    /// processes locks them, so no other process merges them away or adds to them before this commits.
    /// What a join or a merge is decided on.
    func holdClusters(of articleIDs: [Int64]) throws -> [Int64: Int64]
    /// A cluster's canonical article, for choosing whether a new member replaces it.
    func canonicalArticle(cluster: Int64) throws -> CanonicalCandidate?
    /// The ids of the feeds with these names (names not stored are left out).
    func feedIDs(named names: [String]) throws -> [String: Int64]

    /// Merges clusters into `survivor` (older than each): their articles move to it, its size grows
    /// by theirs, they are deleted, and `canonical` (when given) becomes its canonical article.
    mutating func mergeClusters(_ merged: [Int64], into survivor: Int64, canonical: Int64?) throws

    /// Stores the article with its verdict, atomically within the batch: a new cluster when
    /// `cluster` is nil (the article is its canonical one), else one more member of `cluster`, made its
    /// canonical article when `becomesCanonical`; its signature and bucket keys unless it is an exact
    /// duplicate; the article leaves the dedup queue. Returns the stored verdict (article and cluster ids set).
    mutating func insert(_ article: CleanArticle, verdict: DedupResult, cluster: Int64?, becomesCanonical: Bool,
                         signature: Signature?, keys: [Int64]) throws -> DedupResult
}

extension DedupTransaction {
    public mutating func reserve(_ articles: [CleanArticle], keys: [Int64]) throws {}
    /// A store with one writer holds nothing: its plain read is what it holds.
    public func holdClusters(of articleIDs: [Int64]) throws -> [Int64: Int64] { try clusters(of: articleIDs) }
}

/// A store the dedup stage can run against.
public protocol DedupStore {
    associatedtype Transaction: DedupTransaction
    /// Runs `body` in one write transaction: everything it inserted is committed together, or nothing
    /// when it throws (a store shared by several processes may commit a batch in parts, a slice at a
    /// time; each article is still stored whole or not at all). `time` is the batch's creation time for its rows. A store may run `body` again
    /// after rolling back (a deadlock between two writers), so `body` must be repeatable.
    func withDedupTransaction<Result: Sendable>(at time: Double, _ body: (inout Transaction) throws -> Result) throws -> Result
    /// Runs `body` against what is committed, writing nothing (`insert` must not be called).
    func withDedupReadTransaction<Result: Sendable>(_ body: (inout Transaction) throws -> Result) throws -> Result
}

/// A stored article, as an exact-duplicate lookup finds it.
public struct StoredArticle: Sendable, Equatable {
    public var id: Int64
    public var clusterID: Int64
    public init(id: Int64, clusterID: Int64) {
        self.id = id
        self.clusterID = clusterID
    }
}

/// What choosing a cluster's canonical article needs of the current one.
public struct CanonicalCandidate: Sendable, Equatable {
    public var articleID: Int64
    public var feedID: Int64
    /// The cleaned text's length in UTF-8 bytes.
    public var length: Int
    public init(articleID: Int64, feedID: Int64, length: Int) {
        self.articleID = articleID
        self.feedID = feedID
        self.length = length
    }
}
