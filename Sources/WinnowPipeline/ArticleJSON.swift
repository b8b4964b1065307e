import Foundation
import WinnowStore

/// The JSON shape of an article that leaves Winnow: one line of `winnowctl export` and `follow`, and
/// the `article` of a webhook's body. docs/export.md describes every field; a field's meaning never
/// changes under the same `schema_version` (fields may be added).
public enum ArticleJSON {
    public static let schemaVersion = 1

    /// The article as one JSON object without a line break, keys in a fixed order. Written by hand:
    /// JSONEncoder spent four times as long per article, and export speed is what a 10-million-article
    /// backfill waits on.
    public static func line(_ a: ExportedArticle) -> String {
        var out = "{"
        out.reserveCapacity(a.text.utf8.count + 512)
        func key(_ name: String) {
            if out.utf8.count > 1 { out += "," }
            out += "\""
            out += name
            out += "\":"
        }
        func string(_ name: String, _ value: String?) {
            key(name)
            if let value { appendQuoted(value, to: &out) } else { out += "null" }
        }
        func number(_ name: String, _ value: Int64?) {
            key(name)
            out += value.map(String.init) ?? "null"
        }
        key("schema_version"); out += String(schemaVersion)
        number("id", a.id)
        string("url", a.url)
        string("canonical_url", a.canonicalURL)
        string("feed", a.feed)
        string("title", a.title)
        key("authors")
        out += "["
        for (i, author) in authors(a.author).enumerated() {
            if i > 0 { out += "," }
            appendQuoted(author, to: &out)
        }
        out += "]"
        string("published_at", a.publishedAt.map(iso8601))
        string("date_source", a.dateSource)
        string("fetched_at", iso8601(a.fetchedAt))
        string("stored_at", iso8601(a.storedAt))
        string("guid", a.guid)
        number("cluster_id", a.clusterID)
        key("canonical"); out += a.canonical ? "true" : "false"
        string("status", a.status.rawValue)
        number("duplicate_of", a.duplicateOf)
        key("similarity")
        out += a.similarity.map { String(format: "%.4f", $0) } ?? "null"
        string("text", a.text)
        // Added under schema 1 after the first fields, so a reader of those sees them where it did.
        key("enclosures")
        out += "["
        for (i, enclosure) in (a.media?.enclosures ?? []).enumerated() {
            if i > 0 { out += "," }
            out += "{\"url\":"
            appendQuoted(enclosure.url, to: &out)
            out += ",\"type\":"
            if let type = enclosure.type { appendQuoted(type, to: &out) } else { out += "null" }
            out += ",\"length\":"
            out += enclosure.length.map(String.init) ?? "null"
            out += "}"
        }
        out += "]"
        string("image_url", a.media?.imageURL)
        key("duration")
        out += decimal(a.media?.duration)
        key("location")
        if let point = a.media?.location {
            out += "{\"latitude\":\(decimal(point.latitude)),\"longitude\":\(decimal(point.longitude))}"
        } else {
            out += "null"
        }
        out += "}"
        return out
    }

    /// A number as JSON: whole numbers without a fraction, others in the shortest form that reads back
    /// the same; null when there is none (or it is not finite, which JSON cannot write).
    static func decimal(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// The names in an author field: "A and B", "A, B and C", "A; B" each give the names one by one.
    /// A comma alone does not split ("Smith, John" is one name written surname first).
    static func authors(_ field: String?) -> [String] {
        guard let field = field?.trimmingCharacters(in: .whitespacesAndNewlines), !field.isEmpty else { return [] }
        var parts = field.components(separatedBy: ";").flatMap { $0.components(separatedBy: " and ") }
        if parts.count > 1 {
            // "A, B and C": once "and" has shown the field is a list, its commas separate names too.
            parts = parts.flatMap { $0.components(separatedBy: ",") }
        }
        return parts.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Seconds since 1970 as ISO 8601 in UTC, `2026-12-03T10:07:58Z` (fractions dropped).
    public static func iso8601(_ seconds: Double) -> String {
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped, the rest
    /// (non-ASCII too) as UTF-8. U+2028 and U+2029 are escaped so the line is also valid JavaScript.
    /// Works on bytes: slicing the String at an escaped byte could split a character ("\r\n" is one).
    public static func appendQuoted(_ value: String, to out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count + 16)
        bytes.append(0x22)
        let hex = Array("0123456789abcdef".utf8)
        var utf8 = value.utf8.makeIterator()
        while let byte = utf8.next() {
            switch byte {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, 0x6E]
            case 0x0D: bytes += [0x5C, 0x72]
            case 0x09: bytes += [0x5C, 0x74]
            case 0x00..<0x20: bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            case 0xE2:
                // A String is valid UTF-8: E2 starts a three-byte character. U+2028 / U+2029 are E2 80 A8 / A9.
                let second = utf8.next() ?? 0, third = utf8.next() ?? 0
                if second == 0x80 && (third == 0xA8 || third == 0xA9) {
                    bytes += Array((third == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                } else {
                    bytes += [byte, second, third]
                }
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
        out += String(decoding: bytes, as: UTF8.self)
    }
}
