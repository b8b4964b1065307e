/// The `style` attribute, as feedparser cleans it: `url(...)` removed, anything that is not a plain
/// list of `property: value` declarations dropped whole (so no `expression(...)`, no comments, no
/// escapes), then only the allowed properties kept. Each check is a linear scan, not a regex that
/// can backtrack without end.
extension SanitizerRun {
    func sanitizeStyle(_ style: String) -> String {
        let s = Self.removeURLs(Array(style.utf8))
        guard Self.passesGauntlet(s), Self.onlyDeclarations(s) else { return "" }
        var clean: [String] = []
        for (property, value) in Self.declarations(s) where !value.isEmpty {
            let name = property.lowercased()
            let keep: Bool
            if HTMLSanitizer.acceptableCSSProperties.contains(name) {
                keep = true
            } else if ["background", "border", "margin", "padding"].contains(name.split(separator: "-", omittingEmptySubsequences: false).first.map(String.init) ?? "") {
                keep = value.split(whereSeparator: { $0.isWhitespace }).allSatisfy {
                    HTMLSanitizer.acceptableCSSKeywords.contains(String($0)) || Self.isValidCSSValue(Array($0.utf8))
                }
            } else {
                keep = svg > 0 && HTMLSanitizer.acceptableSVGProperties.contains(name)
            }
            if keep { clean.append(property + ": " + value + ";") }
        }
        return clean.joined(separator: " ")
    }

    /// `url\s*\(\s*[^\s)]+?\s*\)\s*` replaced by a space.
    static func removeURLs(_ s: [UInt8]) -> [UInt8] {
        let n = s.count
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
        for p in 0..<n where reach[p] {
            let c = s[p]
            if isAlnum(c) || ASCIIScan.isSpace(c) || ":,;#%.!".utf8.contains(c) { reach[p + 1] = true }
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

    /// `([-\w]+)\s*:\s*([^:;]*)`, every match in order.
    static func declarations(_ s: [UInt8]) -> [(String, String)] {
        let n = s.count
        var found: [(String, String)] = []
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
            found.append((String(decoding: s[i..<nameEnd], as: UTF8.self), String(decoding: s[valueStart..<k], as: UTF8.self)))
            i = k
        }
        return found
    }

    /// `^(#[0-9a-f]+|rgb\(\d+%?,\d*%?,?\d*%?\)?|\d{0,2}\.?\d{0,2}(cm|em|ex|in|mm|pc|pt|px|%|,|\))?)$`
    static func isValidCSSValue(_ w: [UInt8]) -> Bool {
        let n = w.count
        if n > 1, w[0] == UInt8(ascii: "#") {
            return w.dropFirst().allSatisfy { isDigit($0) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
        }
        if n > 4, w.starts(with: Array("rgb(".utf8)) {
            var k = 4
            func digits(_ atLeastOne: Bool) -> Bool {
                let start = k
                while k < n, isDigit(w[k]) { k += 1 }
                return !atLeastOne || k > start
            }
            func optional(_ c: Character) { if k < n, w[k] == c.asciiValue! { k += 1 } }
            guard digits(true) else { return false }
            optional("%")
            guard k < n, w[k] == UInt8(ascii: ",") else { return false }
            k += 1
            _ = digits(false); optional("%"); optional(","); _ = digits(false); optional("%"); optional(")")
            if k == n { return true }
        }
        // Up to two digits, an optional point, up to two digits, an optional unit.
        let units = ["cm", "em", "ex", "in", "mm", "pc", "pt", "px", "%", ",", ")"].map { Array($0.utf8) }
        for first in 0...2 {
            guard first <= n, w.prefix(first).allSatisfy(isDigit) else { break }
            for point in 0...1 {
                let afterPoint = first + point
                guard afterPoint <= n, point == 0 || w[first] == UInt8(ascii: ".") else { continue }
                for second in 0...2 {
                    let end = afterPoint + second
                    guard end <= n, w[afterPoint..<end].allSatisfy(isDigit) else { break }
                    let rest = Array(w[end...])
                    if rest.isEmpty || units.contains(rest) { return true }
                }
            }
        }
        return false
    }
}
