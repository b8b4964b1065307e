import Foundation

/// Parses the date formats feeds use, into UTC, the way Python feedparser does: one reader per format
/// (W3C-DTF, RFC 822 and its mistakes, ISO 8601 with its reduced and two-digit-year forms, asctime,
/// Perforce, and the Greek, Hungarian and Korean forms feedparser knows), tried in feedparser's order.
/// Hand-written rather than DateFormatter: feed dates are full of small mistakes a strict formatter
/// rejects, and formatters are slow and locale-bound. Whole seconds, as feedparser keeps them.
public enum FeedDate {
    public enum Format: String, CaseIterable, Sendable {
        case w3dtf, rfc822, iso8601, asctime, perforce, hungarian, greek, nate, onblog
    }

    /// The first format that reads the string, in feedparser's order except that the localized forms
    /// come before ISO 8601 (whose reduced forms would read "2004-július-13" as the year 2004 alone,
    /// as feedparser does). Nil when none does: the caller keeps the raw string and flags it rather
    /// than guessing.
    public static func parse(_ string: String) -> Date? {
        let text = string.trimmed
        guard !text.isEmpty else { return nil }
        // The localized forms need letters outside ASCII; the common case skips them.
        let localized: [Format] = text.utf8.allSatisfy({ $0 < 0x80 }) ? [] : [.hungarian, .greek, .nate, .onblog]
        for format in [.w3dtf, .rfc822] + localized + [.iso8601, .asctime, .perforce] {
            if let date = parse(text, as: format) { return date }
        }
        return nil
    }

    /// One format's reader alone (feedparser's `_parse_date_<format>`).
    public static func parse(_ string: String, as format: Format) -> Date? {
        let seconds: Int?
        switch format {
        case .w3dtf: seconds = w3dtf(string)
        case .rfc822: seconds = rfc822(string)
        case .iso8601: seconds = iso8601(string)
        case .asctime: seconds = asctime(string)
        case .perforce: seconds = perforce(string)
        case .hungarian: seconds = hungarian(string)
        case .greek: seconds = greek(string)
        case .nate: seconds = nate(string)
        case .onblog: seconds = onblog(string)
        }
        return seconds.map { Date(timeIntervalSince1970: Double($0)) }
    }

    // MARK: W3C-DTF

    /// `YYYY[-MM[-DD]][Thh:mm[:ss[.f]]][zone]`, the date and time also separated by white space
    /// (MS SQL's form); the zone numeric or a name.
    static func w3dtf(_ string: String) -> Int? {
        if let seconds = rfc3339(string) { return seconds }
        // Its year is the first four characters (digits, or a sign and digits) and ends there: most
        // strings that are not W3C-DTF (RFC 822 dates) are turned away here without work.
        let head = string.utf8.prefix(5)
        guard head.count >= 4, head.prefix(4).allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 }),
              head.count == 4 || [UInt8(ascii: "-"), UInt8(ascii: "t"), UInt8(ascii: "T")].contains(head.last!) || head.last! < 0x80 && ASCIIScan.isSpace(head.last!)
        else { return nil }
        let lower = string.lowercased()
        guard !lower.trimmed.isEmpty else { return nil }
        var parts = lower.split(separator: "t", omittingEmptySubsequences: false).map { Substring($0) }
        if parts.count == 1 {
            parts = parts[0].split(whereSeparator: \.isWhitespace)
            if parts.count == 1 { parts.append("00:00:00z") }
        } else if parts.count > 2 {
            return nil
        }
        guard parts.count >= 2 else { return nil }
        var date = parts[0].split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard date.first?.count == 4 else { return nil }
        while date.count < 3 { date.append("1") }
        guard let year = pythonInt(date[0]), let month = pythonInt(date[1]), let day = pythonInt(date[2]) else { return nil }
        // As feedparser: a final "z" becomes a zone of its own, then a numeric offset is cut off the
        // clock; the zone is whatever then stands third.
        if parts[1].hasSuffix("z") { parts[1] = parts[1].dropLast(); parts.append("z") }
        let clock = parts[1]
        let sign = clock.utf8.firstIndex(of: UInt8(ascii: "-")) ?? clock.utf8.firstIndex(of: UInt8(ascii: "+")) ?? clock.endIndex
        parts.append(clock[sign...])
        parts[1] = clock[..<sign]
        let zone = parts[2]
        var fields = parts[1].split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        while fields.count < 3 { fields.append("0") }
        let offset: Int
        if let first = zone.first, first == "-" || first == "+" {
            let characters = Array(zone)
            guard let hours = pythonInt(String(characters[1..<min(3, characters.count)])),
                  let minutes = pythonInt(characters.count > 4 ? String(characters[4...]) : "") else { return nil }
            offset = (hours * 60 + minutes) * 60 * (first == "-" ? -1 : 1)
        } else {
            offset = (zoneHours[String(zone)] ?? 0) * 3600
        }
        guard let hour = pythonFloatToInt(fields[0]), let minute = pythonFloatToInt(fields[1]),
              let second = pythonFloatToInt(fields[2]) else { return nil }
        return checkedSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }

    /// The canonical form, `YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)`, read straight from the bytes; it
    /// gives what the general W3C-DTF reader gives, without its splitting. Nil for anything else.
    static func rfc3339(_ string: String) -> Int? {
        var string = string
        return string.withUTF8 { b -> Int? in
            guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116, b[13] == 58, b[16] == 58 else { return nil }
            func number(_ at: Int, _ count: Int) -> Int? { digits(b, at: at, count: count) }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
                  let minute = number(14, 2), let second = number(17, 2) else { return nil }
            var i = 19
            if b[i] == 46 {
                i += 1
                let digits = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > digits else { return nil }
            }
            var offset = 0
            if i + 1 == b.count, b[i] == 90 || b[i] == 122 {
                offset = 0
            } else if i + 6 == b.count, b[i] == 43 || b[i] == 45, b[i + 3] == 58, let h = number(i + 1, 2), let m = number(i + 4, 2) {
                offset = (h * 60 + m) * 60 * (b[i] == 45 ? -1 : 1)
            } else {
                return nil
            }
            return checkedSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
        }
    }

    // MARK: RFC 822

    /// `[Day,] DD Mon YYYY [hh:mm[:ss] [zone]]`: two-digit years, day and month swapped, a comma
    /// after the month or without a space after the day name, `Etc/` and `GMT±hh:mm` zones, and the
    /// North American and military zone names.
    static func rfc822(_ string: String) -> Int? {
        var parts = string.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        guard !parts.isEmpty else { return nil }
        // "Fri,24 Nov 2023": the day name glued to the day.
        if dayNames.contains(String(parts[0].prefix(3))), let comma = parts[0].firstIndex(of: ","), parts[0].index(after: comma) < parts[0].endIndex {
            parts.insert(String(parts[0][parts[0].index(after: comma)...]), at: 1)
        }
        if parts.count < 5 { parts += ["00:00:00", "0000"] }
        if dayNames.contains(String(parts[0].prefix(3))) { parts.removeFirst() }
        guard parts.count >= 5 else { return nil }
        var month = monthNumbers[String(parts[1].prefix(3))]
        let day: Int
        if let d = pythonInt(parts[0]) {
            day = d
        } else if let swapped = monthNumbers[String(parts[0].prefix(3))] {
            guard let d = pythonInt(parts[1]) else { return nil }
            day = d
            month = swapped
        } else {
            return nil
        }
        guard let month, var year = pythonInt(parts[2]) else { return nil }
        if parts[2].count <= 2 { year += year < 90 ? 2000 : 1900 }
        var clock = parts[3].split(separator: ":", omittingEmptySubsequences: false)
        while clock.count < 3 { clock.append("0") }
        guard clock.count == 3, let hour = pythonInt(clock[0]), let minute = pythonInt(clock[1]), let second = pythonInt(clock[2]) else { return nil }
        var zone = parts[4]
        if zone.hasPrefix("etc/") { zone.removeFirst(4) }
        if zone.hasPrefix("gmt") {
            let rest = zone.dropFirst(3).filter { $0 != ":" }
            zone = rest.isEmpty ? "gmt" : String(rest)
        }
        let offset: Int
        if let sign = zone.first, sign == "-" || sign == "+" {
            let characters = Array(zone)
            let hours = pythonInt(String(characters[1..<min(3, characters.count)]))
            let minutes = pythonInt(String(characters[min(zone.contains(":") ? 4 : 3, characters.count)...]))
            guard let hours, let minutes else { return nil }
            offset = (hours * 60 + minutes) * 60 * (sign == "-" ? -1 : 1)
        } else {
            offset = (zoneHours[zone] ?? 0) * 3600
        }
        return checkedSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }

    // MARK: ISO 8601

    /// A piece of one of feedparser's ISO 8601 templates.
    private enum Piece { case year4, year2, month, optionalMonth, day, ordinal, century, literal(UInt8), optional(UInt8) }

    /// feedparser's templates, in its order: the first that matches the start of the string wins.
    private static let templates: [[Piece]] = [
        [.year4, .optional(45), .month, .optional(45), .day],                          // YYYY-?MM-?DD
        [.year4, .literal(45), .literal(48), .optionalMonth, .optional(45), .day],     // YYYY-0MM?-?DD
        [.year4, .literal(45), .month],                                                // YYYY-MM
        [.year4, .optional(45), .ordinal],                                             // YYYY-?OOO
        [.year2, .optional(45), .month, .optional(45), .day],                          // YY-?MM-?DD
        [.year2, .optional(45), .ordinal],                                             // YY-?OOO
        [.year4],                                                                      // YYYY
        [.literal(45), .year2, .optional(45), .month],                                 // -YY-?MM
        [.literal(45), .ordinal],                                                      // -OOO
        [.literal(45), .year2],                                                        // -YY
        [.literal(45), .literal(45), .month, .optional(45), .day],                     // --MM-?DD
        [.literal(45), .literal(45), .month],                                          // --MM
        [.literal(45), .literal(45), .literal(45), .day],                              // ---DD
        [.century],                                                                    // CC
    ]

    private struct ISOFields {
        var year: Int?, yearDigits = 0, month: Int?, day: Int?, ordinal: Int?, century: Int?
    }

    /// ISO 8601's many reduced forms, two-digit years taken in the current century, missing fields
    /// taken from today as feedparser does, then `T?hh:mm[:ss][.f][±hh[:mm]|Z]`. A day of the year
    /// becomes a date, and a zone may move the clock into another day; fields out of range (June 31,
    /// hour 25) make no date, where feedparser lets mktime roll them over into a guess.
    static func iso8601(_ string: String) -> Int? {
        let bytes = Array(string.utf8)
        var fields = ISOFields()
        var position = -1
        for template in templates {
            fields = ISOFields()
            if let end = match(template[...], bytes, 0, &fields) { position = end; break }
        }
        guard position > 0 else { return nil }  // no template, or only the empty one
        // The whole string or no date: "2013-01-27-01" or "2013-01-28T09:xx:00Z" are not the day they
        // start with (feedparser takes that day, and midnight for the clock it could not read).
        guard let (hour, minute, second, zoneMinutes, end) = isoTime(bytes, from: position), end == bytes.count else { return nil }
        let now = civil(fromSeconds: Int(Date().timeIntervalSince1970))
        var year: Int
        if let y = fields.year { year = fields.yearDigits == 2 ? now.year / 100 * 100 + y : y } else { year = now.year }
        let month: Int
        if let m = fields.month { month = m } else { month = fields.ordinal != nil ? 1 : now.month }
        let day: Int
        if let d = fields.day { day = d } else if let o = fields.ordinal { day = o } else if fields.century != nil || fields.year != nil || fields.month != nil { day = 1 } else { day = now.day }
        if let century = fields.century { year = (century - 1) * 100 + 1 }
        let dayLimit = fields.day == nil && fields.ordinal != nil ? (daysIn(month: 2, year: year) == 29 ? 366 : 365) : daysIn(month: month, year: year)
        guard (1...12).contains(month), (1...dayLimit).contains(day), hour <= 23, minute <= 59, second <= 59 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: 1) + day - 1
        let seconds = days * 86_400 + hour * 3600 + (minute + zoneMinutes) * 60 + second
        // Years 1 to 9999, as Python's datetime holds them ("0000" and century "00" are not dates).
        return (yearOneSeconds..<yearTenThousandSeconds).contains(seconds) ? seconds : nil
    }

    /// The optional time after an ISO 8601 date: `T?hh:mm[:ss][.f][±hh[:mm]|Z]`, all zeros when it
    /// is not there, and where it ends; nil when a time starts but cannot be read. The zone comes back
    /// as minutes to add to the clock to reach UTC.
    private static func isoTime(_ bytes: [UInt8], from start: Int) -> (hour: Int, minute: Int, second: Int, zoneMinutes: Int, end: Int)? {
        var i = start
        func digits(_ count: Int) -> Int? {
            guard let value = FeedDate.digits(bytes, at: i, count: count) else { return nil }
            i += count
            return value
        }
        func skip(_ byte: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }
        // After an explicit T, the basic format's clock without colons (hhmm[ss]) is read too, which
        // feedparser does not (it would keep only the date of 20030610T040000Z).
        if start == bytes.count { return (0, 0, 0, 0, start) }
        let explicitT = skip(UInt8(ascii: "T"))
        guard let hour = digits(2) else { return nil }
        let colons = skip(UInt8(ascii: ":"))
        guard colons || explicitT, let minute = digits(2) else { return nil }
        var second = 0
        let beforeSeconds = i
        if colons ? skip(UInt8(ascii: ":")) : true { if let s = digits(2) { second = s } else { i = beforeSeconds } }
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "."), (48...57).contains(bytes[i + 1]) {
            i += 1
            while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
        }
        var zoneMinutes = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            let west = bytes[i] == UInt8(ascii: "-")  // a zone west of UTC adds to the clock
            i += 1
            if let zoneHour = digits(2) {
                var zoneMinute = 0
                let colon = i
                if skip(UInt8(ascii: ":")) { if let m = digits(2) { zoneMinute = m } else { i = colon } } else if let m = digits(2) { zoneMinute = m }
                zoneMinutes = (zoneHour * 60 + zoneMinute) * (west ? 1 : -1)
            }
        } else if i < bytes.count, bytes[i] == UInt8(ascii: "Z") || bytes[i] == UInt8(ascii: "z") {
            i += 1
        }
        return (hour, minute, second, zoneMinutes, i)
    }

    /// Matches a template against the start of `bytes`; returns where the match ends. Optional pieces
    /// are tried present first and then absent, as a regular expression backtracks.
    private static func match(_ pieces: ArraySlice<Piece>, _ bytes: [UInt8], _ i: Int, _ fields: inout ISOFields) -> Int? {
        guard let piece = pieces.first else { return i }
        let rest = pieces.dropFirst()
        func number(_ count: Int, firstIn first: ClosedRange<UInt8> = 48...57) -> Int? {
            digits(bytes, at: i, count: count, firstIn: first)
        }
        var saved = fields
        switch piece {
        case .literal(let byte):
            guard i < bytes.count, bytes[i] == byte else { return nil }
            return match(rest, bytes, i + 1, &fields)
        case .optional(let byte):
            if i < bytes.count, bytes[i] == byte, let end = match(rest, bytes, i + 1, &fields) { return end }
            fields = saved
            return match(rest, bytes, i, &fields)
        case .year4, .year2:
            let count = { if case .year4 = piece { return 4 } else { return 2 } }()
            guard let value = number(count) else { return nil }
            fields.year = value; fields.yearDigits = count
            return match(rest, bytes, i + count, &fields)
        case .month, .optionalMonth:
            if let value = number(2, firstIn: 48...49) {
                fields.month = value
                if let end = match(rest, bytes, i + 2, &fields) { return end }
            }
            guard case .optionalMonth = piece else { return nil }
            saved.month = nil
            fields = saved
            return match(rest, bytes, i, &fields)
        case .day:
            guard let value = number(2, firstIn: 48...51) else { return nil }
            fields.day = value
            return match(rest, bytes, i + 2, &fields)
        case .ordinal:
            guard let value = number(3, firstIn: 48...51) else { return nil }
            fields.ordinal = value
            return match(rest, bytes, i + 3, &fields)
        case .century:
            // Two digits that end the string (a regular expression's `$` also allows a final newline).
            guard let value = number(2), i + 2 == bytes.count || (i + 3 == bytes.count && bytes[i + 2] == 10) else { return nil }
            fields.century = value
            return match(rest, bytes, i + 2, &fields)
        }
    }

    // MARK: Other formats, read by rewriting them into one of the above (as feedparser does)

    /// `Sun Jan  4 16:29:06 [+0000] 2004`.
    static func asctime(_ string: String) -> Int? {
        var parts = string.split(whereSeparator: \.isWhitespace).map(String.init)
        if parts.count == 5 { parts.insert("+0000", at: 4) }
        guard parts.count == 6 else { return nil }
        return rfc822([parts[0], parts[2], parts[1], parts[5], parts[3], parts[4]].joined(separator: " "))
    }

    /// Perforce's `Fri, 2006/09/15 08:19:53 EDT`.
    static func perforce(_ string: String) -> Int? {
        let words = string.split(separator: " ")
        guard let slash = words.firstIndex(where: { $0.contains("/") }), slash >= 1, words.count >= slash + 3 else { return nil }
        let date = words[slash].split(separator: "/")
        guard date.count == 3, let month = Int(date[1]), (1...12).contains(month) else { return nil }
        return rfc822("\(words[slash - 1]) \(date[2]) \(monthNames[month - 1]) \(date[0]) \(words[slash + 1]) \(words[slash + 2])")
    }

    /// `2004-július-13T9:15-05:00`.
    static func hungarian(_ string: String) -> Int? {
        let parts = string.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let month = hungarianMonths[String(parts[1])],
              let t = parts[2].firstIndex(of: "T") else { return nil }
        let day = parts[2][..<t], clock = parts[2][parts[2].index(after: t)...]
        guard let colon = clock.utf8.firstIndex(of: UInt8(ascii: ":")), day.count <= 2, day.allSatisfy(\.isASCII) else { return nil }
        let hour = clock[..<colon]
        let rest = clock[clock.utf8.index(after: colon)...]
        return w3dtf("\(parts[0])-\(month)-\(day.count == 1 ? "0" : "")\(day)T\(hour.count == 1 ? "0" : "")\(hour):\(rest)")
    }

    /// `Κυρ, 11 Ιούλ 2004 12:00:00 EST`: Greek weekday and month names.
    static func greek(_ string: String) -> Int? {
        guard let comma = string.utf8.firstIndex(of: UInt8(ascii: ",")) else { return nil }
        let words = string[string.utf8.index(after: comma)...].split(whereSeparator: \.isWhitespace)
        guard words.count >= 5, let weekday = greekWeekdays[String(string[..<comma])], let month = greekMonths[String(words[1])] else { return nil }
        return rfc822("\(weekday), \(words[0]) \(month) \(words[2]) \(words[3]) \(words[4])")
    }

    /// `2004-05-25 오후 11:23:17` (Nate): Korean morning/afternoon marks, Korean time.
    static func nate(_ string: String) -> Int? {
        let words = string.split(whereSeparator: \.isWhitespace)
        guard words.count == 3, words[1] == "오전" || words[1] == "오후" else { return nil }
        let clock = words[2].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, var hour = Int(clock[0]) else { return nil }
        if words[1] == "오후" { hour += 12 }
        return w3dtf("\(words[0])T\(hour < 10 ? "0" : "")\(hour):\(clock[1]):\(clock[2])+09:00")
    }

    /// `2004년 05월 28일  01:31:15` (OnBlog): Korean year, month and day marks, Korean time.
    static func onblog(_ string: String) -> Int? {
        let words = string.split(whereSeparator: \.isWhitespace)
        guard words.count == 4, words[0].hasSuffix("년"), words[1].hasSuffix("월"), words[2].hasSuffix("일") else { return nil }
        return w3dtf("\(words[0].dropLast())-\(words[1].dropLast())-\(words[2].dropLast())T\(words[3])+09:00")
    }

    // MARK: Tables

    static let dayNames: Set<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let monthNumbers: [String: Int] = Dictionary(uniqueKeysWithValues: monthNames.enumerated().map { ($1.lowercased(), $0 + 1) })

    /// Zone names feedparser knows, in hours east of UTC; other names count as UTC, as there.
    static let zoneHours: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "adt": -3, "ast": -4, "at": -4, "edt": -4, "est": -5, "et": -5,
        "cdt": -5, "cst": -6, "ct": -6, "mdt": -6, "mst": -7, "mt": -7, "pdt": -7, "pst": -8, "pt": -8,
        "a": -1, "n": 1, "m": -12, "y": 12, "met": 1, "mest": 2,
    ]

    static let hungarianMonths: [String: String] = [
        "január": "01", "február": "02", "februári": "02", "március": "03", "április": "04", "május": "05", "máujus": "05",
        "június": "06", "július": "07", "augusztus": "08", "szeptember": "09", "október": "10", "november": "11", "december": "12",
    ]

    static let greekMonths: [String: String] = [
        "Ιαν": "Jan", "Φεβ": "Feb", "Μάώ": "Mar", "Μαώ": "Mar", "Απρ": "Apr", "Μάι": "May", "Μαϊ": "May", "Μαι": "May",
        "Ιούν": "Jun", "Ιον": "Jun", "Ιούλ": "Jul", "Ιολ": "Jul", "Αύγ": "Aug", "Αυγ": "Aug", "Σεπ": "Sep", "Οκτ": "Oct",
        "Νοέ": "Nov", "Νοε": "Nov", "Δεκ": "Dec",
    ]

    static let greekWeekdays: [String: String] = ["Κυρ": "Sun", "Δευ": "Mon", "Τρι": "Tue", "Τετ": "Wed", "Πεμ": "Thu", "Παρ": "Fri", "Σαβ": "Sat"]

    // MARK: Arithmetic

    /// The number written by `count` ASCII digits at `at`, the first of them within `first` (for
    /// feedparser's `[01]\d` months and `[0123]\d` days); nil when the bytes are not that.
    static func digits<C: RandomAccessCollection>(_ bytes: C, at: Int, count: Int, firstIn first: ClosedRange<UInt8> = 48...57) -> Int?
    where C.Element == UInt8, C.Index == Int {
        guard at >= bytes.startIndex, at + count <= bytes.endIndex, first.contains(bytes[at]) else { return nil }
        var value = 0
        for k in at..<(at + count) {
            guard bytes[k] >= 48, bytes[k] <= 57 else { return nil }
            value = value * 10 + Int(bytes[k] - 48)
        }
        return value
    }

    /// Python's `int()` on ASCII: optional sign, digits, nothing else (at most 9 digits).
    static func pythonInt<S: StringProtocol>(_ s: S) -> Int? {
        var utf8 = Substring(s).utf8[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { negative = first == UInt8(ascii: "-"); utf8 = utf8.dropFirst() }
        guard !utf8.isEmpty, utf8.count <= 9 else { return nil }
        var value = 0
        for b in utf8 {
            guard b >= 48, b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return negative ? -value : value
    }

    /// Python's `int(float(s))` for plain decimals ("55", "55.1234", ".5").
    static func pythonFloatToInt<S: StringProtocol>(_ s: S) -> Int? {
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard !(parts[0].isEmpty && parts[1].isEmpty), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return parts[0].isEmpty || parts[0] == "-" || parts[0] == "+" ? 0 : pythonInt(parts[0])
        }
        return pythonInt(s)
    }

    /// Seconds since 1970 of a wall-clock time `offset` seconds east of UTC, when every field is in
    /// range (as Python's datetime requires) and the result stays within years 1 to 9999.
    static func checkedSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offset: Int) -> Int? {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return (yearOneSeconds..<yearTenThousandSeconds).contains(seconds) ? seconds : nil
    }

    static let yearOneSeconds = daysFromCivil(year: 1, month: 1, day: 1) * 86_400
    static let yearTenThousandSeconds = daysFromCivil(year: 10_000, month: 1, day: 1) * 86_400

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

    /// The proleptic Gregorian date of a time in seconds since 1970.
    static func civil(fromSeconds seconds: Int) -> (year: Int, month: Int, day: Int) {
        civil(fromDays: seconds.floorDivided(by: 86_400))
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (the inverse of `daysFromCivil`).
    public static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension Int {
    func floorDivided(by d: Int) -> Int { (self >= 0 ? self : self - d + 1) / d }
    func floorModulo(_ d: Int) -> Int { self - floorDivided(by: d) * d }
}
