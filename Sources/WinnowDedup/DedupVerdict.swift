/// A stage-2 article waiting for dedup: what the dedup stage reads of it, and what stage 3 stores.
public struct CleanArticle: Sendable {
    public var id: Int64
    public var rawItemID: Int64
    public var feedID: Int64
    public var guid: String
    public var url: String?
    public var title: String?
    public var author: String?
    public var publishedAt: Double?
    public var text: String
    public var textHash: String

    public init(id: Int64, rawItemID: Int64, feedID: Int64, guid: String, url: String?, title: String?, author: String?,
                publishedAt: Double?, text: String, textHash: String) {
        self.id = id
        self.rawItemID = rawItemID
        self.feedID = feedID
        self.guid = guid
        self.url = url
        self.title = title
        self.author = author
        self.publishedAt = publishedAt
        self.text = text
        self.textHash = textHash
    }
}

/// How an article entered stage 3.
public enum DedupStatus: String, Sendable, Codable {
    case new
    case duplicate
    case exactDuplicate = "exact-duplicate"
}

/// The stage-3 verdict for one article.
public struct DedupResult: Sendable, Codable, Equatable {
    /// The stored article's id (0 in a verdict not stored, as `DedupStage.match` gives).
    public var articleID: Int64
    public var status: DedupStatus
    /// The cluster the article joined (0 in a verdict not stored when the article would start one).
    public var clusterID: Int64
    public var duplicateOf: Int64?
    public var similarity: Double?
    public var containment: Double?
    /// `resemblance`, `containment`, or for exact duplicates what matched: `text`, `url`, `guid`.
    public var matchKind: String?

    public init(articleID: Int64, status: DedupStatus, clusterID: Int64, duplicateOf: Int64? = nil, similarity: Double? = nil,
                containment: Double? = nil, matchKind: String? = nil) {
        self.articleID = articleID
        self.status = status
        self.clusterID = clusterID
        self.duplicateOf = duplicateOf
        self.similarity = similarity
        self.containment = containment
        self.matchKind = matchKind
    }
}

/// Which article of a cluster is its canonical one.
public struct CanonicalPolicy: Sendable, Equatable {
    public enum Rule: String, Sendable, Codable, CaseIterable {
        case earliest
        case longest
    }
    public var rule: Rule
    /// Feeds whose articles are preferred as canonical, most preferred first (by name).
    public var preferredFeeds: [String]

    public init(rule: Rule = .earliest, preferredFeeds: [String] = []) {
        self.rule = rule
        self.preferredFeeds = preferredFeeds
    }
}
