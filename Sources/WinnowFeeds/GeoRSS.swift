/// GeoRSS Simple (`georss:point`, `line`, `polygon`, `box`) and GML (`gml:Point`, `LineString`,
/// `Polygon`) as feedparser gives them in `where`: a type and coordinates, (longitude, latitude) pairs
/// for GeoRSS's latitude-first text. A geometry that cannot be read (no coordinates, a number that is
/// not one, a polygon of fewer than four points) gives an empty `where`, not a guess.
enum GeoRSS {
    /// The geometry of a GeoRSS Simple element's text; nil when it cannot be read.
    static func geometry(_ key: String, _ text: String, swap: Bool = true, dimensions: Int = 2) -> [String: FeedValue]? {
        guard let points = coordinates(text, swap: swap, dimensions: dimensions) else { return nil }
        switch key {
        case "georss_point":
            guard let first = points.first else { return nil }
            return ["type": .string("Point"), "coordinates": first]
        case "georss_line":
            return ["type": .string("LineString"), "coordinates": .list(points)]
        case "georss_polygon":
            guard points.count >= 4 else { return nil }
            return ["type": .string("Polygon"), "coordinates": .list([.list(points)])]
        case "georss_box":
            return ["type": .string("Box"), "coordinates": .list(points)]
        default:
            return nil
        }
    }

    /// Numbers separated by white space or commas, in points of `dimensions`; an incomplete last
    /// point is left out.
    static func coordinates(_ text: String, swap: Bool, dimensions: Int) -> [FeedValue]? {
        var numbers: [Double] = []
        for token in tokens(text) {
            guard let number = Double(token), number.isFinite else { return nil }
            numbers.append(number)
        }
        let size = dimensions == 3 ? 3 : 2
        var points: [FeedValue] = []
        var k = 0
        while k + size <= numbers.count {
            var point = [numbers[k], numbers[k + 1]]
            if swap { point.reverse() }
            if size == 3 { point.append(numbers[k + 2]) }
            points.append(.list(point.map(FeedValue.double)))
            k += size
        }
        return points
    }

    /// The text split at commas and white space. ASCII text, all that coordinates are written in, is
    /// split on its bytes: splitting Characters asks Unicode's tables about every one, and a polygon
    /// has thousands. Other text is split as Characters, as before (U+00A0 separates, a combining mark
    /// joins the comma before it).
    static func tokens(_ text: String) -> [Substring] {
        let utf8 = text.utf8
        guard !utf8.contains(where: { $0 >= 0x80 }) else { return text.split(whereSeparator: { $0 == "," || $0.isWhitespace }) }
        var tokens: [Substring] = []
        var start: String.Index?
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let b = utf8[index]
            if b == UInt8(ascii: ",") || b == 0x20 || (b >= 0x09 && b <= 0x0D) {
                if let s = start { tokens.append(text[s..<index]); start = nil }
            } else if start == nil {
                start = index
            }
            index = utf8.index(after: index)
        }
        if let s = start { tokens.append(text[s...]) }
        return tokens
    }

    /// A GML geometry: its `srsName` and `srsDimension`, and the type and coordinates of its `pos`
    /// or `posList`. Latitude and longitude are swapped into GeoRSS's order unless the reference
    /// system is an EPSG one that is not geographic (a projection such as UTM is x, y already).
    static func gml(_ key: String, _ element: XMLElement, key keyOf: (XMLElement) -> String) -> [String: FeedValue] {
        let srsName = element.attribute("srsName") ?? element.attribute("srsname")
        let dimensions = (element.attribute("srsDimension") ?? element.attribute("srsdimension")).flatMap { Int($0.trimmed) } ?? 2
        var result: [String: FeedValue] = ["srsName": srsName.map(FeedValue.string) ?? .null, "srsDimension": .number(dimensions)]
        var swap = true
        if let srsName, srsName.contains("EPSG"), let code = srsName.split(separator: ":").last.flatMap({ Int($0) }) {
            swap = geographicEPSG.contains { $0.contains(code) }
        }
        // The first pos or posList below the geometry.
        var stack = [element]
        while let node = stack.popLast() {
            let nodeKey = keyOf(node)
            if nodeKey == "gml_pos", key == "gml_point" {
                if let point = coordinates(node.text, swap: swap, dimensions: dimensions)?.first {
                    result["type"] = .string("Point")
                    result["coordinates"] = point
                }
                break
            }
            if nodeKey == "gml_poslist", key != "gml_point" {
                if let points = coordinates(node.text, swap: swap, dimensions: dimensions) {
                    result["type"] = .string(key == "gml_polygon" ? "Polygon" : "LineString")
                    result["coordinates"] = key == "gml_polygon" ? .list([.list(points)]) : .list(points)
                }
                break
            }
            stack += node.children.reversed()
        }
        return result
    }

    /// EPSG codes of geographic (latitude, longitude) reference systems, from feedparser's `_geogCS`.
    static let geographicEPSG: [ClosedRange<Int>] = [
        3819...3819, 3821...3821, 3824...3824, 3889...3889, 3906...3906, 4001...4016, 4018...4025, 4027...4036, 4041...4047,
        4052...4055, 4075...4075, 4081...4081, 4120...4176, 4178...4185, 4188...4216, 4218...4289, 4291...4304, 4306...4319,
        4322...4322, 4324...4324, 4326...4326, 4463...4463, 4470...4470, 4475...4475, 4483...4483, 4490...4490, 4555...4555,
        4558...4558, 4600...4646, 4657...4765, 4801...4811, 4813...4821, 4823...4824, 4901...4904, 4979...4979,
    ]
}
