import Foundation
import WinnowClean
import WinnowDedup
import WinnowFeeds

/// A feed the configuration names.
public struct FeedRegistration: Sendable, Equatable {
    public var name: String
    public var url: String
    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }
}

/// A feed's stored state, as the scheduler and `winnowctl status` see it.
public struct FeedState: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var url: String
    public var etag: String?
    public var lastModified: String?
    public var nextFetchAt: Double
    public var lastFetchAt: Double?
    public var lastStatus: Int?
    public var lastError: String?
    public var consecutiveErrors: Int
    public var active: Bool
    public var paused: Bool
    public var items: Int

    public init(id: Int64, name: String, url: String, etag: String?, lastModified: String?, nextFetchAt: Double,
                lastFetchAt: Double?, lastStatus: Int?, lastError: String?, consecutiveErrors: Int, active: Bool,
                paused: Bool, items: Int) {
        self.id = id
        self.name = name
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
        self.nextFetchAt = nextFetchAt
        self.lastFetchAt = lastFetchAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.consecutiveErrors = consecutiveErrors
        self.active = active
        self.paused = paused
        self.items = items
    }
}

/// What one fetch attempt produced; recorded in one transaction with its items.
public struct FetchOutcome: Sendable {
    public var startedAt: Double
    public var durationMS: Int
    public var httpStatus: Int?
    public var bytes: Int
    public var errorClass: String?
    public var error: String?
    public var etag: String?
    public var lastModified: String?
    public var nextFetchAt: Double
    /// The feed's new URL after a permanent redirect.
    public var newURL: String?
    public var items: [FeedItem]

    public init(startedAt: Double, durationMS: Int, httpStatus: Int?, bytes: Int, errorClass: String? = nil,
                error: String? = nil, etag: String? = nil, lastModified: String? = nil, nextFetchAt: Double,
                newURL: String? = nil, items: [FeedItem] = []) {
        self.startedAt = startedAt
        self.durationMS = durationMS
        self.httpStatus = httpStatus
        self.bytes = bytes
        self.errorClass = errorClass
        self.error = error
        self.etag = etag
        self.lastModified = lastModified
        self.nextFetchAt = nextFetchAt
        self.newURL = newURL
        self.items = items
    }

    public var succeeded: Bool { errorClass == nil }
}

/// A stage-1 item waiting for cleaning.
public struct RawItem: Sendable {
    public var id: Int64
    public var feedID: Int64
    public var item: FeedItem

    public init(id: Int64, feedID: Int64, item: FeedItem) {
        self.id = id
        self.feedID = feedID
        self.item = item
    }
}

/// A stored article, as `winnowctl show` prints it.
public struct ArticleDetail: Sendable, Codable {
    public var id: Int64
    public var feed: String
    public var guid: String?
    public var url: String?
    public var title: String?
    public var author: String?
    public var publishedAt: Double?
    public var text: String
    public var status: DedupStatus
    public var clusterID: Int64
    public var canonicalArticleID: Int64
    public var duplicateOf: Int64?
    public var similarity: Double?
    public var containment: Double?
    public var matchKind: String?
    public var createdAt: Double
    public var removed: [Removal]
    /// The feed item's files, picture, running time and place; nil when it carries none.
    public var media: ItemMedia? = nil

    public init(id: Int64, feed: String, guid: String?, url: String?, title: String?, author: String?, publishedAt: Double?,
                text: String, status: DedupStatus, clusterID: Int64, canonicalArticleID: Int64, duplicateOf: Int64?,
                similarity: Double?, containment: Double?, matchKind: String?, createdAt: Double, removed: [Removal], media: ItemMedia? = nil) {
        self.id = id
        self.feed = feed
        self.guid = guid
        self.url = url
        self.title = title
        self.author = author
        self.publishedAt = publishedAt
        self.text = text
        self.status = status
        self.clusterID = clusterID
        self.canonicalArticleID = canonicalArticleID
        self.duplicateOf = duplicateOf
        self.similarity = similarity
        self.containment = containment
        self.matchKind = matchKind
        self.createdAt = createdAt
        self.removed = removed
        self.media = media
    }
}

/// Row counts per stage.
public struct StageCounts: Sendable, Codable, Equatable {
    public var raw: Int
    public var clean: Int
    public var articles: Int
    public var clusters: Int
    public var duplicates: Int
    public var pendingClean: Int
    public var pendingDedup: Int

    public init(raw: Int, clean: Int, articles: Int, clusters: Int, duplicates: Int, pendingClean: Int, pendingDedup: Int) {
        self.raw = raw
        self.clean = clean
        self.articles = articles
        self.clusters = clusters
        self.duplicates = duplicates
        self.pendingClean = pendingClean
        self.pendingDedup = pendingDedup
    }
}

/// A cluster with more than one member.
public struct DuplicateCluster: Sendable, Codable {
    public struct Member: Sendable, Codable {
        public var articleID: Int64
        public var feed: String
        public var title: String?
        public var url: String?
        public var status: DedupStatus
        public var similarity: Double?
        public var matchKind: String?

        public init(articleID: Int64, feed: String, title: String?, url: String?, status: DedupStatus, similarity: Double?, matchKind: String?) {
            self.articleID = articleID
            self.feed = feed
            self.title = title
            self.url = url
            self.status = status
            self.similarity = similarity
            self.matchKind = matchKind
        }
    }
    public var clusterID: Int64
    public var canonicalArticleID: Int64
    public var members: [Member]

    public init(clusterID: Int64, canonicalArticleID: Int64, members: [Member]) {
        self.clusterID = clusterID
        self.canonicalArticleID = canonicalArticleID
        self.members = members
    }
}

/// Why the store refused.
public enum StoreError: Error, CustomStringConvertible {
    case missingDatabase(String)
    case parameterMismatch(stored: String, configured: String)

    public var description: String {
        switch self {
        case .missingDatabase(let path):
            return "no database at \(path): start winnowd (or run winnowctl ingest) to create it, or pass --db"
        case .parameterMismatch(let stored, let configured):
            // A store made before shingle bounds existed: say which setting keeps it as it is.
            let size = stored.split(separator: " ").first { $0.hasPrefix("shingles=") }?.dropFirst("shingles=".count) ?? "5"
            let hint = !stored.contains("bounds=") && configured.contains("bounds=")
                ? " (or keep this store's: \"dedup\": {\"shingle_size\": \(size), \"shingle_bounds\": \"none\"})" : ""
            return "dedup parameters changed (stored signatures use \(stored), the configuration says \(configured)): run `winnowctl reprocess --from dedup` or restore the old parameters\(hint)"
        }
    }
}
