/// The `style` attribute, as feedparser cleans it: `url(...)` removed, anything that is not a plain
/// list of `property: value` declarations dropped whole (so no `expression(...)`, no comments, no
/// escapes), then only the allowed properties kept. Each check is a linear scan, not a regex that
/// can backtrack without end.
extension SanitizerRun {
    func sanitizeStyle(_ style: String) -> String {
        let s = Self.removeURLs(Array(style.utf8))
        guard Self.passesGauntlet(s), Self.onlyDeclarations(s) else { return "" }
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        for (property, value) in Self.declarations(s) where !value.isEmpty {
            let name = SanitizerRun.lowercased(s[property])
            let keep: Bool
            if HTMLSanitizer.acceptableCSSProperties.contains(name) {
                keep = true
            } else if Self.isShorthandFamily(s[property]) {
                // Every keyword of the value must be a known one or a plain size, color or number.
                keep = s[value].split(whereSeparator: { ASCIIScan.isSpace($0) }).allSatisfy {
                    Self.isValidCSSValue($0) || HTMLSanitizer.acceptableCSSKeywords.contains(String(decoding: $0, as: UTF8.self))
                }
            } else {
                keep = svg > 0 && HTMLSanitizer.acceptableSVGProperties.contains(name)
            }
            guard keep else { continue }
            if !out.isEmpty { out.append(0x20) }
            out += s[property]
            out += [UInt8(ascii: ":"), 0x20]
            out += s[value]
            out.append(UInt8(ascii: ";"))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Properties whose values are checked keyword by keyword (`border-top`, `margin`...).
    static let shorthandFamilies = ["background", "border", "margin", "padding"].map { Array($0.utf8) }

    /// Whether a property name (any case) is one of `shorthandFamilies` or starts with one and `-`.
    static func isShorthandFamily(_ name: ArraySlice<UInt8>) -> Bool {
        shorthandFamilies.contains { family in
            name.count >= family.count && zip(name, family).allSatisfy { ASCIIScan.lower($0) == $1 }
                && (name.count == family.count || name[name.startIndex + family.count] == UInt8(ascii: "-"))
        }
    }

    /// `url\s*\(\s*[^\s)]+?\s*\)\s*` replaced by a space.
    static func removeURLs(_ s: [UInt8]) -> [UInt8] {
        let n = s.count
        guard n > 3, s.contains(UInt8(ascii: "(")) else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n {
            if s[i] == UInt8(ascii: "u"), i + 2 < n, s[i + 1] == UInt8(ascii: "r"), s[i + 2] == UInt8(ascii: "l") {
                var k = i + 3
                while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
                if k < n, s[k] == UInt8(ascii: "(") {
                    k += 1
                    while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
                    let start = k
                    while k < n, !ASCIIScan.isSpace(s[k]), s[k] != UInt8(ascii: ")") { k += 1 }
                    if k > start {
                        while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
                        if k < n, s[k] == UInt8(ascii: ")") {
                            k += 1
                            while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
                            out.append(UInt8(ascii: " "))
                            i = k
                            continue
                        }
                    }
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    /// `^([:,;#%.\sa-zA-Z0-9!]|\w-\w|'[\s\w]+'|"[\s\w]+"|\([\d,\s]+\))*$`, decided by which positions
    /// the pieces can reach (linear, where the regex would backtrack).
    static func passesGauntlet(_ s: [UInt8]) -> Bool {
        let n = s.count
        var reach = [Bool](repeating: false, count: n + 1)
        reach[0] = true
        let table = gauntletByte  // once, not a lazy global's check per byte
        for p in 0..<n where reach[p] {
            let c = s[p]
            if table[Int(c)] { reach[p + 1] = true }
            if p + 2 < n, ASCIIScan.isWord(c), s[p + 1] == UInt8(ascii: "-"), ASCIIScan.isWord(s[p + 2]) { reach[p + 3] = true }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                var k = p + 1
                while k < n, ASCIIScan.isWord(s[k]) || ASCIIScan.isSpace(s[k]) { k += 1 }
                if k > p + 1, k < n, s[k] == c { reach[k + 1] = true }
            }
            if c == UInt8(ascii: "(") {
                var k = p + 1
                while k < n, isDigit(s[k]) || s[k] == UInt8(ascii: ",") || ASCIIScan.isSpace(s[k]) { k += 1 }
                if k > p + 1, k < n, s[k] == UInt8(ascii: ")") { reach[k + 1] = true }
            }
        }
        return reach[n]
    }

    /// `[:,;#%.\sa-zA-Z0-9!]`, by byte.
    static let gauntletByte: [Bool] = (0..<256).map { b in
        let c = UInt8(b)
        return isAlnum(c) || ASCIIScan.isSpace(c) || ":,;#%.!".utf8.contains(c)
    }

    /// Whether nothing but white space is left once every `\s*[-\w]+\s*:\s*[^:;]*;?` is taken out.
    static func onlyDeclarations(_ s: [UInt8]) -> Bool {
        let n = s.count
        var i = 0
        while i < n {
            if let end = declarationEnd(s, i) { i = end; continue }
            if !ASCIIScan.isSpace(s[i]) { return false }
            i += 1
        }
        return true
    }

    static func declarationEnd(_ s: [UInt8], _ start: Int) -> Int? {
        let n = s.count
        var k = start
        while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
        let name = k
        while k < n, ASCIIScan.isWord(s[k]) || s[k] == UInt8(ascii: "-") { k += 1 }
        guard k > name else { return nil }
        while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
        guard k < n, s[k] == UInt8(ascii: ":") else { return nil }
        k += 1
        while k < n, s[k] != UInt8(ascii: ":"), s[k] != UInt8(ascii: ";") { k += 1 }
        if k < n, s[k] == UInt8(ascii: ";") { k += 1 }
        return k
    }

    /// `([-\w]+)\s*:\s*([^:;]*)`, every match in order, as the ranges of name and value.
    static func declarations(_ s: [UInt8]) -> [(Range<Int>, Range<Int>)] {
        let n = s.count
        var found: [(Range<Int>, Range<Int>)] = []
        var i = 0
        while i < n {
            var k = i
            while k < n, ASCIIScan.isWord(s[k]) || s[k] == UInt8(ascii: "-") { k += 1 }
            guard k > i else { i += 1; continue }
            let nameEnd = k
            while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
            guard k < n, s[k] == UInt8(ascii: ":") else { i += 1; continue }
            k += 1
            while k < n, ASCIIScan.isSpace(s[k]) { k += 1 }
            let valueStart = k
            while k < n, s[k] != UInt8(ascii: ":"), s[k] != UInt8(ascii: ";") { k += 1 }
            found.append((i..<nameEnd, valueStart..<k))
            i = k
        }
        return found
    }

    /// `^(#[0-9a-f]+|rgb\(\d+%?,\d*%?,?\d*%?\)?|\d{0,2}\.?\d{0,2}(cm|em|ex|in|mm|pc|pt|px|%|,|\))?)$`
    static func isValidCSSValue(_ w: ArraySlice<UInt8>) -> Bool {
        let n = w.count
        let b = w.startIndex
        if n > 1, w[b] == UInt8(ascii: "#") {
            return w.dropFirst().allSatisfy { isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
        }
        if n > 4, w.starts(with: "rgb(".utf8) {
            var k = b + 4
            let end = w.endIndex
            func digits() -> Int { let start = k; while k < end, isDigit(w[k]) { k += 1 }; return k - start }
            func optional(_ c: UInt8) { if k < end, w[k] == c { k += 1 } }
            if digits() > 0 {
                optional(UInt8(ascii: "%"))
                if k < end, w[k] == UInt8(ascii: ",") {
                    k += 1
                    _ = digits(); optional(UInt8(ascii: "%")); optional(UInt8(ascii: ",")); _ = digits(); optional(UInt8(ascii: "%")); optional(UInt8(ascii: ")"))
                    if k == end { return true }
                }
            }
        }
        // Up to two digits, an optional point, up to two digits, an optional unit.
        for first in 0...2 {
            guard first <= n, w[b..<(b + first)].allSatisfy(isDigit) else { break }
            for point in 0...1 {
                let afterPoint = first + point
                guard afterPoint <= n, point == 0 || w[b + first] == UInt8(ascii: ".") else { continue }
                for second in 0...2 {
                    let end = afterPoint + second
                    guard end <= n, w[(b + afterPoint)..<(b + end)].allSatisfy(isDigit) else { break }
                    let rest = w[(b + end)...]
                    if rest.isEmpty || cssUnits.contains(where: { rest.elementsEqual($0) }) { return true }
                }
            }
        }
        return false
    }

    static let cssUnits: [[UInt8]] = ["cm", "em", "ex", "in", "mm", "pc", "pt", "px", "%", ",", ")"].map { Array($0.utf8) }
}
