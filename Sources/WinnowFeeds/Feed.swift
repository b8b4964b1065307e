import Foundation

/// The syndication format a document was recognised as, named as feedparser's `version` names it.
public enum FeedFormat: String, Sendable, Codable, CaseIterable {
    case rss090, rss091u, rss091n, rss092, rss093, rss094, rss20, rss10
    case atom01, atom02, atom03, atom10
    case json1, json11
    /// RSS, Atom or JSON Feed of a version not known.
    case rss, atom, json
}

/// A parsed feed: its own metadata and its entries, whatever the wire format was.
public struct Feed: Sendable, Equatable {
    public var format: FeedFormat
    public var title: String?
    public var link: String?
    public var description: String?
    public var language: String?
    public var updated: Date?
    /// RSS `ttl` in minutes, a hint for the scheduler.
    public var ttlMinutes: Int?
    /// RSS `skipHours` (0-23, GMT) and `skipDays` (0 = Sunday): when the publisher asks not to be polled.
    public var skipHours: Set<Int> = []
    public var skipDays: Set<Int> = []
    public var items: [FeedItem]

    public init(format: FeedFormat, title: String? = nil, link: String? = nil, description: String? = nil,
                language: String? = nil, updated: Date? = nil, ttlMinutes: Int? = nil, items: [FeedItem] = []) {
        self.format = format
        self.title = title
        self.link = link
        self.description = description
        self.language = language
        self.updated = updated
        self.ttlMinutes = ttlMinutes
        self.items = items
    }
}

/// One entry of a feed, in the single model every format is adapted onto.
public struct FeedItem: Sendable, Equatable, Codable {
    /// The entry's id: `guid` / `id` when present, otherwise a stable fallback (link, or a hash of title and text).
    public var guid: String
    public var link: String?
    public var title: String?
    public var author: String?
    public var published: Date?
    /// The date as written, kept when it could not be parsed (never guessed).
    public var publishedRaw: String?
    public var summary: String?
    /// Full content (`content:encoded`, Atom `content`), usually HTML.
    public var content: String?
    /// Files the entry carries: RSS enclosures, Atom `rel="enclosure"` links, Media RSS content.
    public var enclosures: [FeedEnclosure] = []
    /// The entry's picture: its iTunes image, or its first Media RSS thumbnail.
    public var imageURL: String?
    /// Running time in seconds (iTunes `duration`: `hh:mm:ss`, `mm:ss` or seconds).
    public var duration: Double?
    /// The place the entry is about (GeoRSS, GML, W3C geo).
    public var location: FeedLocation?

    public init(guid: String, link: String? = nil, title: String? = nil, author: String? = nil,
                published: Date? = nil, publishedRaw: String? = nil, summary: String? = nil, content: String? = nil) {
        self.guid = guid
        self.link = link
        self.title = title
        self.author = author
        self.published = published
        self.publishedRaw = publishedRaw
        self.summary = summary
        self.content = content
    }

    /// The richest body the entry carries: content over summary.
    public var body: String? { content ?? summary }

    enum CodingKeys: String, CodingKey {
        case guid, link, title, author, published, publishedRaw, summary, content, enclosures, imageURL, duration, location
    }

    /// Reads items written before the media fields existed too.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guid = try c.decode(String.self, forKey: .guid)
        link = try c.decodeIfPresent(String.self, forKey: .link)
        title = try c.decodeIfPresent(String.self, forKey: .title)
        author = try c.decodeIfPresent(String.self, forKey: .author)
        published = try c.decodeIfPresent(Date.self, forKey: .published)
        publishedRaw = try c.decodeIfPresent(String.self, forKey: .publishedRaw)
        summary = try c.decodeIfPresent(String.self, forKey: .summary)
        content = try c.decodeIfPresent(String.self, forKey: .content)
        enclosures = try c.decodeIfPresent([FeedEnclosure].self, forKey: .enclosures) ?? []
        imageURL = try c.decodeIfPresent(String.self, forKey: .imageURL)
        duration = try c.decodeIfPresent(Double.self, forKey: .duration)
        location = try c.decodeIfPresent(FeedLocation.self, forKey: .location)
    }
}

/// A file an entry carries (a podcast's audio, a photo feed's picture).
public struct FeedEnclosure: Sendable, Equatable, Codable {
    public var url: String
    /// MIME type, when given.
    public var type: String?
    /// Size in bytes, when given as a number.
    public var length: Int?
    /// Media RSS `medium`: image, audio, video, document or executable.
    public var medium: String?
    /// Media RSS running time in seconds.
    public var duration: Double?
    public var width: Int?
    public var height: Int?

    public init(url: String, type: String? = nil, length: Int? = nil, medium: String? = nil, duration: Double? = nil,
                width: Int? = nil, height: Int? = nil) {
        self.url = url
        self.type = type
        self.length = length
        self.medium = medium
        self.duration = duration
        self.width = width
        self.height = height
    }
}

/// A geometry in GeoJSON's terms: `Point`, `LineString`, `Polygon` (its outer ring) or `Box` (two
/// corners), each position `[longitude, latitude]` or `[longitude, latitude, altitude]`.
public struct FeedLocation: Sendable, Equatable, Codable {
    public var type: String
    public var coordinates: [[Double]]

    public init(type: String, coordinates: [[Double]]) {
        self.type = type
        self.coordinates = coordinates
    }
}
