import Foundation

/// A value in a feedparser-shaped result: strings, numbers, lists and dictionaries, as JSON.
public enum FeedValue: Sendable, Equatable, Encodable {
    case string(String)
    case number(Int)
    /// A decimal number (GeoRSS coordinates, PSC chapter starts in seconds).
    case double(Double)
    case bool(Bool)
    case list([FeedValue])
    case object([String: FeedValue])
    case null

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .number(let n): try container.encode(n)
        case .double(let d): try container.encode(d)
        case .bool(let b): try container.encode(b)
        case .list(let l): try container.encode(l)
        case .object(let o): try container.encode(o)
        case .null: try container.encodeNil()
        }
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var object: [String: FeedValue]? { if case .object(let o) = self { return o } else { return nil } }
    public var list: [FeedValue]? { if case .list(let l) = self { return l } else { return nil } }

    /// A date as feedparser's `*_parsed` 9-tuple (UTC): year, month, day, hour, minute, second,
    /// weekday (Monday 0), day of the year, DST flag 0.
    /// Counted in the proleptic Gregorian calendar, as Python's datetime counts.
    static func timeTuple(_ date: Date) -> FeedValue {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds.floorDivided(by: 86_400), clock = seconds - days * 86_400
        let (year, month, day) = FeedDate.civil(fromSeconds: seconds)
        let weekday = (days + 3).floorModulo(7)  // 1970-01-01 was a Thursday; Monday is 0
        let yday = days - FeedDate.daysFromCivil(year: year, month: 1, day: 1) + 1
        return .list([year, month, day, clock / 3600, clock / 60 % 60, clock % 60, weekday, yday, 0].map(FeedValue.number))
    }

    /// The date of a `*_parsed` tuple (the inverse of `timeTuple`).
    var date: Date? {
        guard case .list(let fields) = self, fields.count >= 6 else { return nil }
        let n = fields.prefix(6).compactMap { if case .number(let v) = $0 { return v } else { return nil } }
        guard n.count == 6 else { return nil }
        let seconds = FeedDate.daysFromCivil(year: n[0], month: n[1], day: n[2]) * 86_400 + n[3] * 3600 + n[4] * 60 + n[5]
        return Date(timeIntervalSince1970: Double(seconds))
    }
}
