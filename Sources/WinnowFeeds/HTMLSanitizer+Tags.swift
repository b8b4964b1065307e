/// Start and end tags as sgmllib reads them, broken markup included: where a tag ends around quoted
/// `>`, SGML's `<tag/data/` short tags, attributes with and without values.
extension SanitizerRun {
    /// The index of the first `byte` at or after `from` (memchr: quoted values are most of a tag's bytes).
    @inline(__always) func find(_ byte: UInt8, from: Int) -> Int? {
        b.withUnsafeBufferPointer { ASCIIScan.index(of: byte, in: $0, from: from) }
    }

    /// Where the tag starting at `from` ends: the next `<` or `>`, skipping quoted attribute values
    /// that are followed by what may follow an attribute (feedparser's end-bracket rule).
    func endBracket(_ from: Int) -> Int? {
        let n = b.count
        var k = from
        scan: while k < n {
            let c = b[k]
            if c == UInt8(ascii: "<") || c == UInt8(ascii: ">") { return k }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                guard let close = find(c, from: k + 1) else { break scan }
                let after = close + 1
                guard after < n else { break scan }
                let a = b[after]
                var ok = a == UInt8(ascii: ">") || a == UInt8(ascii: "/") || ASCIIScan.isSpace(a)
                if !ok, ASCIIScan.isWord(a) {
                    var w = after
                    while w < n, ASCIIScan.isWord(b[w]) { w += 1 }
                    ok = w < n && b[w] == UInt8(ascii: "=")
                }
                guard ok else { break scan }
                k = after
                continue
            }
            k += 1
        }
        // Otherwise the first `<` or `>` on the same line.
        var m = from
        while m < n, b[m] != 0x0A {
            if b[m] == UInt8(ascii: "<") || b[m] == UInt8(ascii: ">") { return m }
            m += 1
        }
        return nil
    }

    mutating func startTag(_ i: Int) -> Int? {
        let n = b.count
        // `<tag/data/`: SGML's short tag, read as `<tag>data</tag>` (its data read as markup again).
        var k = i + 1
        if Self.isAlpha(b[k]) {
            k += 1
            while k < n, Self.isAlnum(b[k]) || b[k] == UInt8(ascii: "-") || b[k] == UInt8(ascii: ".") { k += 1 }
            if k < n, b[k] == UInt8(ascii: "/") {
                guard let close = find(UInt8(ascii: "/"), from: k + 1) else { return nil }
                let name = b[(i + 1)..<k]
                var expanded: [UInt8] = [UInt8(ascii: "<")] + name + [UInt8(ascii: ">")]
                expanded += b[(k + 1)..<close]
                expanded += [UInt8(ascii: "<"), UInt8(ascii: "/")] + name + [UInt8(ascii: ">")]
                var inner = SanitizerRun(bytes: expanded, base: base, xhtml: xhtml)
                inner.lastTag = lastTag
                inner.unacceptable = unacceptable
                inner.mathML = mathML
                inner.svg = svg
                inner.firstPassStopped = firstPassStopped
                inner.styleCache = styleCache
                inner.run()
                styleCache = inner.styleCache
                out += inner.out
                // sgmllib's short tag does not count as the last tag.
                unacceptable = inner.unacceptable
                mathML = inner.mathML
                svg = inner.svg
                return close + 1
            }
        }
        guard var j = endBracket(i + 1) else { return nil }
        var attributes: [(String, String)] = []
        let tag: String
        if b[i + 1] == UInt8(ascii: ">") {
            tag = lastTag
            k = j
        } else {
            k = i + 2
            while k < n, Self.isAlnum(b[k]) || b[k] == UInt8(ascii: "-") || b[k] == UInt8(ascii: "_") || b[k] == UInt8(ascii: ".") || b[k] == UInt8(ascii: ":") { k += 1 }
            tag = Self.lowercased(b[(i + 1)..<k])
            lastTag = tag
        }
        while k < j, let (attribute, end) = readAttribute(k) {
            attributes.append(attribute)
            k = end
        }
        if b[j] == UInt8(ascii: ">") { j += 1 }
        startElement(tag, attributes)
        if xhtml, j > 2, b[j - 2] == UInt8(ascii: "/"), b[j - 1] == UInt8(ascii: ">") { endElement(lastTag) }
        return j
    }

    /// One attribute at `k` (sgmllib's `attrfind`): its lower-cased name and value, and where it ends.
    func readAttribute(_ start: Int) -> ((String, String), Int)? {
        let n = b.count
        var k = start
        while k < n, ASCIIScan.isSpace(b[k]) { k += 1 }
        guard k < n, Self.isAlpha(b[k]) || b[k] == UInt8(ascii: "_") else { return nil }
        let nameStart = k
        while k < n, Self.isAlnum(b[k]) || b[k] == UInt8(ascii: "-") || b[k] == UInt8(ascii: ":") || b[k] == UInt8(ascii: ".") || b[k] == UInt8(ascii: "_") { k += 1 }
        let name = Self.lowercased(b[nameStart..<k])
        if k < n, b[k] == UInt8(ascii: "$") { k += 1 }
        var m = k
        while m < n, ASCIIScan.isSpace(b[m]) { m += 1 }
        // A name without a value is its own value, as written (`<a HREF>` has href="HREF").
        guard m < n, b[m] == UInt8(ascii: "=") else { return ((name, String(decoding: b[nameStart..<k], as: UTF8.self)), k) }
        m += 1
        while m < n, ASCIIScan.isSpace(b[m]) { m += 1 }
        var valueStart = m, valueEnd = m, end = m
        if m < n, b[m] == UInt8(ascii: "'") || b[m] == UInt8(ascii: "\""), let close = find(b[m], from: m + 1) {
            valueStart = m + 1
            valueEnd = close
            end = close + 1
        } else {
            while end < n, Self.unquotedValueByte(b[end]) { end += 1 }
            valueEnd = end
            // A value that starts and ends with the same quote loses both.
            if end > m, b[m] == UInt8(ascii: "'") || b[m] == UInt8(ascii: "\""), b[end - 1] == b[m] {
                valueStart = m + 1
                valueEnd = max(valueStart, end - 1)
            }
        }
        return ((name, Self.terminateCharrefs(b[valueStart..<valueEnd])), end)
    }

    /// `[][\-a-zA-Z0-9./,:;+*%?!&$\(\)_#=~'"@]`
    static func unquotedValueByte(_ c: UInt8) -> Bool {
        if isAlnum(c) { return true }
        switch c {
        case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ","), UInt8(ascii: ":"),
             UInt8(ascii: ";"), UInt8(ascii: "+"), UInt8(ascii: "*"), UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "!"), UInt8(ascii: "&"),
             UInt8(ascii: "$"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: "="), UInt8(ascii: "~"),
             UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "@"):
            return true
        default:
            return false
        }
    }

    /// `&#123` in a value gains its `;` (the only change sgmllib makes to references in values).
    static func terminateCharrefs(_ v: ArraySlice<UInt8>) -> String {
        let plain = v.withUnsafeBufferPointer { ASCIIScan.index(of: UInt8(ascii: "&"), in: $0, from: 0) == nil }
        if plain { return String(decoding: v, as: UTF8.self) }
        var out: [UInt8] = []
        var k = v.startIndex
        while k < v.endIndex {
            out.append(v[k])
            if v[k] == UInt8(ascii: "&"), k + 2 < v.endIndex, v[k + 1] == UInt8(ascii: "#"), isDigit(v[k + 2]) {
                var m = k + 2
                while m < v.endIndex, isDigit(v[m]) { m += 1 }
                out += v[(k + 1)..<m]
                out.append(UInt8(ascii: ";"))
                k = m < v.endIndex && v[m] == UInt8(ascii: ";") ? m + 1 : m
                continue
            }
            k += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func endTag(_ i: Int) -> Int? {
        guard var j = endBracket(i + 1) else { return nil }
        if Self.isAlpha(b[i + 2]) {
            // The usual `</name>`: the name read on the bytes (what the general reading below gives
            // when the text starts with a letter).
            var k = i + 3
            while k < j, Self.isAlnum(b[k]) || b[k] == UInt8(ascii: "-") || b[k] == UInt8(ascii: "_") || b[k] == UInt8(ascii: ".") || b[k] == UInt8(ascii: ":") { k += 1 }
            if b[j] == UInt8(ascii: ">") { j += 1 }
            endElement(Self.lowercased(b[(i + 2)..<k]))
            return j
        }
        var raw = String(decoding: b[(i + 2)..<j].map(ASCIIScan.lower), as: UTF8.self).trimmed
        // The leading name, when there is one.
        if let first = raw.utf8.first, Self.isAlpha(first) {
            let end = raw.utf8.firstIndex { !(Self.isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":")) }
            if let end { raw = String(raw[..<end]) }
        }
        if b[j] == UInt8(ascii: ">") { j += 1 }
        endElement(raw)
        return j
    }
}
