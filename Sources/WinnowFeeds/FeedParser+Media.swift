/// The extensions a pipeline user wants on the item, read from the feedparser-shaped entry:
/// enclosures and Media RSS content, the picture, the running time and the place.
extension FeedParser {
    static func readMedia(_ e: [String: FeedValue], into item: inout FeedItem) {
        var seen = Set<String>()
        for value in (e["enclosures"]?.list ?? []) + (e["media_content"]?.list ?? []) {
            guard let o = value.object, let url = (o["href"] ?? o["url"])?.string?.trimmed, !url.isEmpty, seen.insert(url).inserted else { continue }
            item.enclosures.append(FeedEnclosure(url: url, type: o["type"]?.string.flatMap(nonEmpty),
                                                 length: (o["length"] ?? o["filesize"])?.string.flatMap { Int($0.trimmed) },
                                                 medium: o["medium"]?.string.flatMap(nonEmpty),
                                                 duration: o["duration"]?.string.flatMap { Double($0.trimmed) }.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil },
                                                 width: o["width"]?.string.flatMap { Int($0.trimmed) }, height: o["height"]?.string.flatMap { Int($0.trimmed) }))
        }
        item.imageURL = e["image"]?.object?["href"]?.string.flatMap(nonEmpty)
            ?? e["media_thumbnail"]?.list?.lazy.compactMap { $0.object?["url"]?.string?.trimmed }.first(where: { !$0.isEmpty })
        item.duration = e["itunes_duration"]?.string.flatMap(clockSeconds)
        item.location = location(e)
    }

    /// `hh:mm:ss`, `mm:ss` or plain seconds (fractions allowed); nil for anything else.
    static func clockSeconds(_ text: String) -> Double? {
        let parts = text.trimmed.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var total = 0.0
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            guard !part.isEmpty, part.allSatisfy({ $0.isASCII && ($0.isNumber || (last && $0 == ".")) }), let value = Double(part) else { return nil }
            if index > 0, value >= 60 { return nil }
            total = total * 60 + value
        }
        return total
    }

    /// GeoRSS or GML `where`, else W3C geo's `lat` and `long`.
    static func location(_ e: [String: FeedValue]) -> FeedLocation? {
        if let w = e["where"]?.object, let type = w["type"]?.string, let coordinates = w["coordinates"]?.list {
            func position(_ v: FeedValue) -> [Double]? {
                let numbers = v.list?.compactMap { if case .double(let d) = $0 { return d } else { return nil } }
                return numbers.flatMap { $0.count >= 2 ? $0 : nil }
            }
            let positions: [[Double]]
            switch type {
            case "Point": positions = position(.list(coordinates)).map { [$0] } ?? []
            case "Polygon": positions = coordinates.first?.list?.compactMap(position) ?? []
            default: positions = coordinates.compactMap(position)
            }
            return positions.isEmpty ? nil : FeedLocation(type: type, coordinates: positions)
        }
        if let lat = e["geo_lat"]?.string.flatMap({ Double($0.trimmed) }), let long = e["geo_long"]?.string.flatMap({ Double($0.trimmed) }),
           (-90...90).contains(lat), (-180...180).contains(long) {
            return FeedLocation(type: "Point", coordinates: [[long, lat]])
        }
        return nil
    }
}
