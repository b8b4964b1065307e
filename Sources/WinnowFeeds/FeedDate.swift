import Foundation

/// Parses the date formats feeds use, into UTC. Hand-written rather than DateFormatter:
/// feed dates are full of small mistakes a strict formatter rejects, and formatters are slow and locale-bound.
public enum FeedDate {
    /// Parses RFC 822/1123 dates (and their common mistakes) or ISO 8601/RFC 3339/W3C-DTF dates.
    /// Returns nil when the string is not a date this parser understands; callers keep the raw string then.
    public static func parse(_ string: String) -> Date? {
        let text = string.trimmed
        guard let first = text.unicodeScalars.first else { return nil }
        if first.properties.numericType != nil, let date = parseISO8601(text) { return date }
        return parseRFC822(text) ?? parseISO8601(text)
    }

    /// RFC 822: `[Day,] DD Mon YYYY HH:MM[:SS] ZONE`, tolerating missing day names, two-digit years,
    /// missing seconds, missing zone (taken as UTC) and periods or commas in odd places.
    public static func parseRFC822(_ text: String) -> Date? {
        var parts = text.replacingOccurrences(of: ",", with: " ")
            .split(whereSeparator: { $0 == " " || $0 == "\t" })
            .map(String.init)
        guard !parts.isEmpty else { return nil }
        if parts[0].first?.isLetter == true, monthNumber(parts[0]) == nil { parts.removeFirst() }  // weekday
        guard parts.count >= 3 else { return nil }
        // Accept both "DD Mon YYYY" and "Mon DD YYYY".
        var day: Int, month: Int
        if let d = Int(parts[0]), let m = monthNumber(parts[1]) {
            day = d; month = m
        } else if let m = monthNumber(parts[0]), let d = Int(parts[1]) {
            day = d; month = m
        } else {
            return nil
        }
        guard var year = Int(parts[2]) else { return nil }
        if parts[2].count == 2 { year += year < 50 ? 2000 : 1900 }
        var hour = 0, minute = 0, second = 0
        var offset = 0
        if parts.count >= 4 {
            let clock = parts[3].split(separator: ":").map { Int($0) }
            guard clock.count >= 2, clock.allSatisfy({ $0 != nil }) else { return nil }
            hour = clock[0]!; minute = clock[1]!
            if clock.count >= 3 { second = clock[2]! }
        }
        if parts.count >= 5 {
            guard let zone = zoneOffset(parts[4]) else { return nil }
            offset = zone
        }
        return makeDate(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                        fraction: 0, offsetSeconds: offset)
    }

    /// ISO 8601 / RFC 3339 / W3C-DTF: `YYYY[-MM[-DD[THH:MM[:SS[.fff]][Z|±HH[:MM]]]]]`, also with a space for `T`
    /// and the compact `YYYYMMDDTHHMMSS` form.
    public static func parseISO8601(_ text: String) -> Date? {
        var s = Substring(text)
        func digits(_ n: Int) -> Int? {
            guard s.count >= n else { return nil }
            let head = s.prefix(n)
            guard head.allSatisfy(\.isASCII), head.allSatisfy(\.isNumber), let v = Int(head) else { return nil }
            s = s.dropFirst(n)
            return v
        }
        func skip(_ c: Character) -> Bool {
            if s.first == c { s = s.dropFirst(); return true }
            return false
        }
        guard let year = digits(4) else { return nil }
        var month = 1, day = 1, hour = 0, minute = 0, second = 0
        var fraction = 0.0, offset = 0
        let dashed = skip("-")
        if let m = digits(2) {
            month = m
            if dashed { _ = skip("-") }
            if let d = digits(2) { day = d }
        }
        if skip("T") || skip("t") || skip(" ") {
            guard let h = digits(2) else { return nil }
            hour = h
            let coloned = skip(":")
            guard let mi = digits(2) else { return nil }
            minute = mi
            if coloned { _ = skip(":") }
            if let se = digits(2) { second = se }
            if skip(".") || skip(",") {
                let frac = s.prefix(while: { $0.isASCII && $0.isNumber })
                fraction = Double("0." + frac) ?? 0
                s = s.dropFirst(frac.count)
            }
            if skip("Z") || skip("z") {
                offset = 0
            } else if let sign = s.first, sign == "+" || sign == "-" {
                s = s.dropFirst()
                guard let oh = digits(2) else { return nil }
                _ = skip(":")
                let om = digits(2) ?? 0
                offset = (oh * 3600 + om * 60) * (sign == "-" ? -1 : 1)
            }
        }
        guard s.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return makeDate(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                        fraction: fraction, offsetSeconds: offset)
    }

    static func makeDate(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
                         fraction: Double, offsetSeconds: Int) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), (0...24).contains(hour),
              (0...59).contains(minute), (0...60).contains(second), day <= daysIn(month: month, year: year)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func monthNumber(_ name: String) -> Int? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let key = name.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        guard key.count >= 3, let index = months.firstIndex(of: String(key.prefix(3))) else { return nil }
        return index + 1
    }

    static func zoneOffset(_ zone: String) -> Int? {
        if let sign = zone.first, sign == "+" || sign == "-" {
            let digits = zone.dropFirst().filter { $0 != ":" }
            guard digits.count == 4 || digits.count == 2, let value = Int(digits) else { return nil }
            let hours = digits.count == 4 ? value / 100 : value
            let minutes = digits.count == 4 ? value % 100 : 0
            return (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
        }
        let named: [String: Int] = [
            "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
            "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
            "A": -1, "M": -12, "N": 1, "Y": 12,
        ]
        guard let hours = named[zone.uppercased()] else { return nil }
        return hours * 3600
    }
}
