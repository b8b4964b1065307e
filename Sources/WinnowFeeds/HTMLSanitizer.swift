/// Makes HTML from a feed safe to show: unsafe elements, attributes, URL schemes and CSS removed, to
/// Python feedparser's standard (its fixtures judge it) and written back the way feedparser writes it
/// (attributes lower-cased, sorted and double-quoted, void elements as `<br />`, character references
/// kept as references). Relative URIs in links and media are resolved against the base on the way.
///
/// Its own tokenizer, not WinnowClean's HTML scanner: the cleaner's scanner builds a tree for
/// extraction and keeps only the attributes extraction needs, while this one must keep every attribute
/// and reproduce feedparser's sgmllib reading of broken markup byte for byte. It is one linear pass
/// (feedparser makes two: one resolving URIs, one sanitizing; the effects of the first on the second
/// are reproduced), with no recursion and no backtracking, so time and memory stay linear in the input
/// whatever its nesting.
///
/// Stricter than feedparser where feedparser lets script through: an unsafe scheme empties every
/// URI-valued attribute (`src`, `lowsrc`, `background`, ...), not only `href`; markup left unfinished
/// at the end is written as text (`&lt;...`), not as a tag. Like feedparser, a stray `</script>` hides
/// the text after it until the next `<script>` (its fixtures expect that).
public enum HTMLSanitizer {
    /// The sanitized fragment. `baseURL` resolves relative URIs (none when empty); `xhtml` reads
    /// `<tag/>` as an empty element (feedparser's `application/xhtml+xml`), otherwise as HTML.
    public static func sanitize(_ html: String, baseURL: String = "", xhtml: Bool = false) -> String {
        var html = html
        // Text with no markup, no reference and no CR comes out as it went in (trimmed).
        let plain = html.withUTF8 { bytes in !bytes.contains { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") || $0 == 0x0D } }
        if plain { return html.trimmed }
        var run = SanitizerRun(bytes: preprocess(Array(html.utf8)), base: baseURL, xhtml: xhtml)
        run.run()
        var out = run.out
        if out.contains(0x0D) {
            var crlf: [UInt8] = []
            crlf.reserveCapacity(out.count)
            var k = 0
            while k < out.count {
                if out[k] == 0x0D, k + 1 < out.count, out[k + 1] == 0x0A { k += 1; continue }
                crlf.append(out[k])
                k += 1
            }
            out = crlf
        }
        let result = String(decoding: out, as: UTF8.self)
        // Trimming walks Unicode scalars: only when an end is white space (or not ASCII).
        if let first = out.first, let last = out.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return result }
        return result.trimmed
    }

    /// feedparser's rewrites before parsing: `<!` that starts no declaration becomes text, `<tag/>`
    /// becomes `<tag />` (void elements) or `<tag></tag>`, and `&#39;` / `&#34;` become quotes.
    static func preprocess(_ b: [UInt8]) -> [UInt8] {
        let n = b.count
        // Most fragments have nothing to rewrite: no `<!`, no `/>`, no `&#3`.
        // Found on the second byte of each pair (`!`, `>`, `#`), rarer than the first, eight bytes at a time.
        let rewrite = b.withUnsafeBufferPointer { p in
            var k = 1
            while k < n {
                let hit = ASCIIScan.firstIndex(of: UInt8(ascii: "!"), UInt8(ascii: ">"), UInt8(ascii: "#"), in: p, from: k)
                guard hit < n else { return false }
                let c = p[hit], before = p[hit - 1]
                if (c == UInt8(ascii: "!") && before == UInt8(ascii: "<")) || (c == UInt8(ascii: ">") && before == UInt8(ascii: "/"))
                    || (c == UInt8(ascii: "#") && before == UInt8(ascii: "&")) { return true }
                k = hit + 1
            }
            return false
        }
        if !rewrite { return b }
        var out: [UInt8] = []
        out.reserveCapacity(n + 16)
        var i = 0
        while i < n {
            // Runs without `<` or `&` are copied whole.
            let run = b.withUnsafeBufferPointer { ASCIIScan.firstIndex(of: UInt8(ascii: "<"), UInt8(ascii: "&"), UInt8(ascii: "&"), in: $0, from: i) }
            if run > i { out += b[i..<run]; i = run; continue }
            let c = b[i]
            if c == UInt8(ascii: "<") {
                if i + 1 < n, b[i + 1] == UInt8(ascii: "!") {
                    let declaration = ASCIIScan.hasPrefix(b, at: i + 2, "doctype") || (i + 3 < n && b[i + 2] == UInt8(ascii: "-") && b[i + 3] == UInt8(ascii: "-"))
                        || (i + 2 < n && b[i + 2] == UInt8(ascii: "["))
                    if !declaration { out.append(ascii: "&lt;"); i += 1; continue }
                } else if let (name, end) = shortTag(b, i) {
                    let tag = String(decoding: name, as: UTF8.self)
                    out.append(UInt8(ascii: "<"))
                    out += name
                    if elementsNoEndTag.contains(tag) { out.append(ascii: " />") } else { out.append(ascii: "></"); out += name; out.append(UInt8(ascii: ">")) }
                    i = end
                    continue
                }
            } else if c == UInt8(ascii: "&"), i + 4 < n, b[i + 1] == UInt8(ascii: "#"), b[i + 2] == UInt8(ascii: "3"), b[i + 4] == UInt8(ascii: ";"),
                      b[i + 3] == UInt8(ascii: "9") || b[i + 3] == UInt8(ascii: "4") {
                out.append(b[i + 3] == UInt8(ascii: "9") ? UInt8(ascii: "'") : UInt8(ascii: "\""))
                i += 5
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    /// `<([^<>\s]+?)\s*/>` at `i`: the name and where the match ends.
    static func shortTag(_ b: [UInt8], _ i: Int) -> (ArraySlice<UInt8>, Int)? {
        let n = b.count
        var k = i + 1
        while k < n, b[k] != UInt8(ascii: "<"), b[k] != UInt8(ascii: ">"), !ASCIIScan.isSpace(b[k]) {
            k += 1
            // The shortest name after which `\s*/>` follows.
            var m = k
            while m < n, ASCIIScan.isSpace(b[m]) { m += 1 }
            if m + 1 < n, b[m] == UInt8(ascii: "/"), b[m + 1] == UInt8(ascii: ">") { return (b[(i + 1)..<k], m + 2) }
        }
        return nil
    }

    static let elementsNoEndTag: Set<String> = ["area", "base", "basefont", "br", "col", "command", "embed", "frame", "hr", "img", "input",
                                                "isindex", "keygen", "link", "meta", "param", "source", "track", "wbr"]
    static let unacceptableElementsWithEndTag: Set<String> = ["applet", "script", "style"]
    /// Attributes holding a URI: an unsafe scheme empties them.
    static let uriAttributes: Set<String> = ["href", "src", "lowsrc", "dynsrc", "datasrc", "background", "poster", "action", "cite",
                                             "longdesc", "usemap", "data", "xlink:href", "codebase", "classid", "profile"]
    enum AttributeKind { case plain, uri, style }
    /// HTML's acceptable attributes and how each is checked, in one lookup.
    static let htmlAttributeKinds: [String: AttributeKind] = Dictionary(uniqueKeysWithValues: acceptableAttributes.map {
        ($0, $0 == "style" ? .style : uriAttributes.contains($0) ? .uri : .plain)
    })
    /// `relativeURIs` by attribute: the elements on which it holds a URI to resolve.
    static let relativeURITags: [String: Set<String>] = {
        var byAttribute: [String: Set<String>] = [:]
        for pair in relativeURIs {
            let parts = pair.split(separator: " ")
            byAttribute[String(parts[1]), default: []].insert(String(parts[0]))
        }
        return byAttribute
    }()
    /// What the sanitizer needs to know of an HTML tag name, in one lookup (a tag was looked up in
    /// three sets on its way in and three on its way out).
    struct TagInfo: OptionSet {
        let rawValue: UInt8
        /// On feedparser's allow-list.
        static let acceptable = TagInfo(rawValue: 1)
        /// A void element, written `<br />` and never closed.
        static let void = TagInfo(rawValue: 2)
        /// Dropped with its text (`script`, `style`, `applet`).
        static let droppedWithText = TagInfo(rawValue: 4)
    }

    static let tagInfo: [String: TagInfo] = {
        var info: [String: TagInfo] = [:]
        for tag in acceptableElements { info[tag, default: []].insert(.acceptable) }
        for tag in elementsNoEndTag { info[tag, default: []].insert(.void) }
        for tag in unacceptableElementsWithEndTag { info[tag, default: []].insert(.droppedWithText) }
        return info
    }()

    /// SVG's animation elements (lower-cased, as tags are read).
    static let svgAnimations: Set<String> = ["animate", "animatecolor", "animatemotion", "animatetransform", "set"]
    static let svgNamespace = "http://www.w3.org/2000/svg"
    static let mathMLNamespace = "http://www.w3.org/1998/Math/MathML"
    static let xlinkNamespace = "http://www.w3.org/1999/xlink"
}

/// One sanitizing pass over preprocessed bytes: sgmllib's tokenizer with feedparser's handlers.
struct SanitizerRun {
    let b: [UInt8]
    let base: String
    let xhtml: Bool
    var out: [UInt8] = []
    var lastTag = "???"
    /// Open script, style and applet elements: their text is dropped.
    var unacceptable = 0
    var mathML = 0
    var svg = 0
    /// feedparser's first pass (the URI resolver) stops at an unclosed comment and hands the rest on
    /// as it is: from there only the second pass's rules apply (no resolving, CDATA as text).
    var firstPassStopped = false
    /// Style attributes already cleaned in this fragment (outside SVG), by their escaped value.
    var styleCache: [String: String] = [:]

    init(bytes: [UInt8], base: String, xhtml: Bool) {
        self.b = bytes
        self.base = base
        self.xhtml = xhtml
        out.reserveCapacity(bytes.count)
    }

    /// An ASCII name lower-cased, without copying when it already is.
    static func lowercased(_ name: ArraySlice<UInt8>) -> String {
        name.contains { $0 >= 0x41 && $0 <= 0x5A } ? String(decoding: name.map(ASCIIScan.lower), as: UTF8.self) : String(decoding: name, as: UTF8.self)
    }

    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z") }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) }

    mutating func data(_ from: Int, _ to: Int) {
        if unacceptable == 0 { out += b[from..<to] }
    }

    mutating func text(_ s: String) {
        if unacceptable == 0 { out.append(utf8: s) }
    }

    /// Markup the document ends inside: written as text, its `<` escaped, so that it cannot become a
    /// tag wherever the fragment is pasted.
    mutating func leftover(_ from: Int, escape: Bool = true) {
        guard unacceptable == 0 else { return }
        for c in b[from...] {
            if escape, c == UInt8(ascii: "<") { out.append(ascii: "&lt;") } else { out.append(c) }
        }
    }

    mutating func run() {
        let n = b.count
        var i = 0
        while i < n {
            let j = b.withUnsafeBufferPointer { ASCIIScan.firstIndex(of: UInt8(ascii: "<"), UInt8(ascii: "&"), UInt8(ascii: "&"), in: $0, from: i) }
            if i < j { data(i, j) }
            i = j
            if i == n { break }
            if b[i] == UInt8(ascii: "<") {
                let next: UInt8 = i + 1 < n ? b[i + 1] : 0
                if next == UInt8(ascii: ">") || Self.isAlpha(next) {
                    guard let k = startTag(i) else { return leftover(i) }
                    i = k
                    continue
                }
                if next == UInt8(ascii: "/") {
                    guard let k = endTag(i) else { return leftover(i) }
                    i = k
                    continue
                }
                if next == UInt8(ascii: "!"), i + 3 < n, b[i + 2] == UInt8(ascii: "-"), b[i + 3] == UInt8(ascii: "-") {
                    i = comment(i)
                    continue
                }
                if next == UInt8(ascii: "?") {
                    // Processing instructions are dropped.
                    guard let close = find(UInt8(ascii: ">"), from: i + 2) else { return leftover(i) }
                    i = close + 1
                    continue
                }
                if next == UInt8(ascii: "!") {
                    guard let k = declaration(i) else {
                        // A declaration the text ends inside cannot open a tag: kept as it is, unless
                        // more markup follows.
                        return leftover(i, escape: b[(i + 1)...].contains(UInt8(ascii: "<")))
                    }
                    i = k
                    continue
                }
            } else if let k = reference(i) {
                i = k
                continue
            }
            // A lone `<` or `&`, or the start of something the document ends inside.
            var k = i + 1
            if b[i] == UInt8(ascii: "&") {
                if k < n, Self.isAlpha(b[k]) { while k < n, Self.isAlnum(b[k]) { k += 1 } } else if k < n, b[k] == UInt8(ascii: "#") {
                    k += 1
                    while k < n, Self.isDigit(b[k]) { k += 1 }
                }
            } else if k < n, b[k] == UInt8(ascii: "/") || b[k] == UInt8(ascii: "!") {
                k += 1
                while k < n, b[k] != UInt8(ascii: "<"), b[k] != UInt8(ascii: ">") { k += 1 }
            }
            if k == n { return leftover(i) }
            if b[i] == UInt8(ascii: "<") {
                // A lone `<` is written as `&lt;` (feedparser writes it raw): markup dropped after it
                // (`<</>img ...>`, `<<!-->img ...`) would otherwise join it to the text that follows
                // into a tag the sanitizer never saw.
                text("&lt;")
                data(i + 1, k)
            } else {
                data(i, k)
            }
            i = k
        }
    }

    // MARK: References

    /// `&#N;`, `&#xH;` or `&name` at `i`: written back as a reference, and where it ends.
    mutating func reference(_ i: Int) -> Int? {
        let n = b.count
        guard i + 1 < n else { return nil }
        if b[i + 1] == UInt8(ascii: "#") {
            var k = i + 2
            let hex = k < n && (b[k] | 0x20) == UInt8(ascii: "x")
            if hex { k += 1 }
            let start = k
            while k < n, hex ? b[k].isHexDigit : Self.isDigit(b[k]) { k += 1 }
            guard k > start, k < n, b[k] == UInt8(ascii: ";") else { return nil }
            charref(hex: hex, digits: b[start..<k])
            return k + 1
        }
        guard Self.isAlpha(b[i + 1]) else { return nil }
        var e = i + 2
        func nameByte(_ c: UInt8) -> Bool { Self.isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") }
        while e < n, nameByte(b[e]) { e += 1 }
        if e == n {
            // No character after the name: the regex gives back a trailing `-` or `.` to end it.
            var back = e - 1
            while back > i + 1, Self.isAlnum(b[back]) { back -= 1 }
            guard back > i + 1 else { return nil }
            e = back
        }
        let name = String(decoding: b[(i + 1)..<e], as: UTF8.self)
        if HTMLEntities.codepoints[name] != nil || name == "apos" {
            out.append(UInt8(ascii: "&"))
            out.append(utf8: name)
            out.append(UInt8(ascii: ";"))
        } else {
            // feedparser's first pass writes `&amp;name`; its second reads the name as text, which
            // inside a script is dropped.
            out.append(ascii: "&amp;")
            if firstPassStopped { out += b[(i + 1)..<e] } else { data(i + 1, e) }
        }
        return b[e] == UInt8(ascii: ";") ? e + 1 : e
    }

    /// Windows-1252's C1 code points as written by mistake for the characters they stand for.
    static let cp1252: [UInt32: UInt32] = [128: 0x20AC, 130: 0x201A, 131: 0x0192, 132: 0x201E, 133: 0x2026, 134: 0x2020, 135: 0x2021,
                                           136: 0x02C6, 137: 0x2030, 138: 0x0160, 139: 0x2039, 140: 0x0152, 142: 0x017D, 145: 0x2018,
                                           146: 0x2019, 147: 0x201C, 148: 0x201D, 149: 0x2022, 150: 0x2013, 151: 0x2014, 152: 0x02DC,
                                           153: 0x2122, 154: 0x0161, 155: 0x203A, 156: 0x0153, 158: 0x017E, 159: 0x0178]

    mutating func charref(hex: Bool, digits: ArraySlice<UInt8>) {
        var value: UInt32 = 0
        var overflow = false
        for d in digits {
            let v = UInt32(d <= 0x39 ? d - 0x30 : (d | 0x20) - 0x61 + 10)
            let (m, o1) = value.multipliedReportingOverflow(by: hex ? 16 : 10)
            let (s, o2) = m.addingReportingOverflow(v)
            overflow = overflow || o1 || o2
            value = s
        }
        if !overflow, let mapped = Self.cp1252[value] {
            out += Array("&#x\(String(mapped, radix: 16));".utf8)
        } else {
            out.append(ascii: "&#")
            if hex { out.append(UInt8(ascii: "x")) }
            out += digits.map(ASCIIScan.lower)
            out.append(UInt8(ascii: ";"))
        }
    }

    // MARK: Comments and declarations

    /// `<!-- ... -->` is kept; an unclosed comment is dropped, up to the next `-- ... >` or to the end.
    mutating func comment(_ i: Int) -> Int {
        let n = b.count
        var k = i + 4
        while k + 1 < n {
            if b[k] == UInt8(ascii: "-"), b[k + 1] == UInt8(ascii: "-") {
                var m = k + 2
                while m < n, ASCIIScan.isSpace(b[m]) { m += 1 }
                if m < n, b[m] == UInt8(ascii: ">") {
                    // Kept, as feedparser keeps comments, unless a browser would end it sooner than
                    // here (`<!-->`, `<!--->`, `--!>`) and read the rest as markup.
                    let text = b[(i + 4)..<k]
                    let endsEarly = text.first == UInt8(ascii: ">") || text.starts(with: [UInt8(ascii: "-"), UInt8(ascii: ">")])
                        || ASCIIScan.contains(text, "--!>")
                    if !endsEarly {
                        out.append(ascii: "<!--")
                        out += text
                        out.append(ascii: "-->")
                    }
                    return m + 1
                }
            }
            k += 1
        }
        firstPassStopped = true
        k = i + 4
        while k + 1 < n {
            if b[k] == UInt8(ascii: "-"), b[k + 1] == UInt8(ascii: "-"), let close = find(UInt8(ascii: ">"), from: k + 2) { return close + 1 }
            k += 1
        }
        return n
    }

    /// `<!DOCTYPE ...>` and marked sections (`<![CDATA[...]]>`) are dropped; what cannot be read as
    /// one is text.
    mutating func declaration(_ i: Int) -> Int? {
        let n = b.count
        if i + 2 < n, b[i + 2] == UInt8(ascii: "[") {
            var k = i + 3
            let nameStart = k
            while k < n, Self.isAlnum(b[k]) || b[k] == UInt8(ascii: "-") || b[k] == UInt8(ascii: "_") || b[k] == UInt8(ascii: ".") || b[k] == UInt8(ascii: ":") { k += 1 }
            let name = String(decoding: b[nameStart..<k], as: UTF8.self).lowercased()
            let twoBrackets = ["temp", "cdata", "ignore", "include", "rcdata"].contains(name)
            if k > nameStart, Self.isAlpha(b[nameStart]), twoBrackets || ["if", "else", "endif"].contains(name),
               !(firstPassStopped && name == "cdata") {
                // `]\s*]\s*>` or `]\s*>`
                var m = i + 3
                while m < n {
                    if b[m] == UInt8(ascii: "]") {
                        var p = m + 1
                        while p < n, ASCIIScan.isSpace(b[p]) { p += 1 }
                        if twoBrackets {
                            if p < n, b[p] == UInt8(ascii: "]") {
                                p += 1
                                while p < n, ASCIIScan.isSpace(b[p]) { p += 1 }
                                if p < n, b[p] == UInt8(ascii: ">") { return p + 1 }
                            }
                        } else if p < n, b[p] == UInt8(ascii: ">") { return p + 1 }
                    }
                    m += 1
                }
            }
            text("&lt;")
            return i + 1
        }
        // DOCTYPE: names, quoted literals and white space up to `>`.
        var k = i + 2
        while k < n {
            let c = b[k]
            if c == UInt8(ascii: ">") { return k + 1 }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                guard let close = find(c, from: k + 1) else { return nil }
                k = close + 1
            } else if Self.isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":") || ASCIIScan.isSpace(c) {
                k += 1
            } else {
                text("&lt;")
                return i + 1
            }
        }
        return nil
    }
}
