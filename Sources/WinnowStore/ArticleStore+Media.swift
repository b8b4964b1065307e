import Foundation
import GRDB
import WinnowFeeds

/// What a stored item carries besides its text: its files, picture, running time and place, as the
/// feed gave them (`item_media`, one row for each item that carries any of them).
public struct ItemMedia: Sendable, Equatable, Codable {
    /// Files: RSS enclosures, Atom `rel="enclosure"` links, Media RSS content.
    public var enclosures: [FeedEnclosure] = []
    /// The item's picture (iTunes image, else the first Media RSS thumbnail).
    public var imageURL: String?
    /// Running time in seconds.
    public var duration: Double?
    /// The place as a point: a Point's position, else the centre of the geometry's bounds.
    public var location: GeoPoint?
    /// The place as the feed gave it (a line, polygon or box keeps its shape here).
    public var geometry: FeedLocation?

    public init(enclosures: [FeedEnclosure] = [], imageURL: String? = nil, duration: Double? = nil, location: GeoPoint? = nil,
                geometry: FeedLocation? = nil) {
        self.enclosures = enclosures
        self.imageURL = imageURL
        self.duration = duration
        self.location = location
        self.geometry = geometry
    }

    /// The item's media; nil when it carries none (no row is written for it).
    public init?(_ item: FeedItem) {
        guard !item.enclosures.isEmpty || item.imageURL != nil || item.duration != nil || item.location != nil else { return nil }
        self.init(enclosures: item.enclosures, imageURL: item.imageURL, duration: item.duration,
                  location: item.location.flatMap(GeoPoint.init), geometry: item.location)
    }

    public var isEmpty: Bool { enclosures.isEmpty && imageURL == nil && duration == nil && location == nil }
}

/// A position in degrees (WGS 84 as GeoRSS gives it).
public struct GeoPoint: Sendable, Equatable, Codable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// A Point's position, or the centre of the bounds of a line, polygon or box; nil without a position.
    public init?(_ location: FeedLocation) {
        let positions = location.coordinates.filter { $0.count >= 2 && $0[0].isFinite && $0[1].isFinite }
        guard let first = positions.first else { return nil }
        if location.type == "Point" {
            self.init(latitude: first[1], longitude: first[0])
            return
        }
        let longitudes = positions.map { $0[0] }, latitudes = positions.map { $0[1] }
        self.init(latitude: (latitudes.min()! + latitudes.max()!) / 2, longitude: (longitudes.min()! + longitudes.max()!) / 2)
    }
}

extension ItemMedia {
    /// The media stored in an `item_media` row's columns (nil: the item has none). Both stores read it so.
    public init?(columns enclosures: String?, imageURL: String?, duration: Double?, latitude: Double?, longitude: Double?, geometry: String?) {
        var media = ItemMedia(imageURL: imageURL, duration: duration)
        // A column that does not decode (written by hand, say) is left out rather than failing the read.
        if let enclosures { media.enclosures = (try? JSONDecoder().decode([FeedEnclosure].self, from: Data(enclosures.utf8))) ?? [] }
        if let latitude, let longitude { media.location = GeoPoint(latitude: latitude, longitude: longitude) }
        if let geometry { media.geometry = try? JSONDecoder().decode(FeedLocation.self, from: Data(geometry.utf8)) }
        guard !media.isEmpty else { return nil }
        self = media
    }
}

extension ArticleStore {
    static let mediaEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Writes the item's media row, when it carries any (in the transaction that stored the item).
    static func storeMedia(_ db: Database, rawItemID: Int64, item: FeedItem) throws {
        guard let media = ItemMedia(item) else { return }
        let enclosures = media.enclosures.isEmpty ? nil : String(decoding: try mediaEncoder.encode(media.enclosures), as: UTF8.self)
        let geometry = try media.geometry.map { String(decoding: try mediaEncoder.encode($0), as: UTF8.self) }
        try db.cachedStatement(sql: """
            INSERT INTO item_media (raw_item_id, enclosures, image_url, duration, latitude, longitude, geometry) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [rawItemID, enclosures, media.imageURL.map(StoreText.withoutNUL), media.duration, media.location?.latitude,
                                     media.location?.longitude, geometry])
    }

    /// The `item_media` columns a query selects, in this order, for `media(_:at:)`.
    public static let mediaColumns = "m.enclosures, m.image_url, m.duration, m.latitude, m.longitude, m.geometry"

    /// The media read from `mediaColumns` starting at column `index` of `row` (nil: the item has none).
    static func media(_ row: Row, at index: Int) -> ItemMedia? {
        ItemMedia(columns: row[index], imageURL: row[index + 1], duration: row[index + 2], latitude: row[index + 3],
                  longitude: row[index + 4], geometry: row[index + 5])
    }

    /// The media of one stored stage-1 item; nil when it carries none.
    public func media(rawItemID: Int64) throws -> ItemMedia? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.mediaColumns) FROM item_media m WHERE m.raw_item_id = ?", arguments: [rawItemID])
                .flatMap { Self.media($0, at: 0) }
        }
    }
}
