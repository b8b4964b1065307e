/// What the sanitizer keeps of a tag: feedparser's element and attribute allow-lists, MathML and SVG
/// inside their namespaces, relative URIs resolved and unsafe URI schemes emptied.
extension SanitizerRun {
    mutating func startElement(_ tag: String, _ parsed: [(String, String)]) {
        let info = HTMLSanitizer.tagInfo[tag] ?? []
        let allowed = info.contains(.acceptable)
        // A dropped element needs no more reading (SVG and MathML roots are decided below).
        if !allowed, svg == 0, mathML == 0, tag != "svg", tag != "math" {
            if info.contains(.droppedWithText) { unacceptable += 1 }
            return
        }
        // feedparser's first pass (its relative URI resolver) writes the tag back normalized: one value
        // per name (the last), `rel` and `type` lower-cased, names sorted, URIs resolved, values
        // escaped. The second pass (the sanitizer) reads that: values are resolved and escaped below,
        // for the attributes kept.
        var attributes = Self.normalize(parsed)
        var acceptable: Set<String>? = nil  // nil: HTML's
        var outTag = tag
        var svgCase = false
        if !allowed || svg > 0 {
            if info.contains(.droppedWithText) { unacceptable += 1 }
            // HTML5 writes inline SVG and MathML without their namespace.
            var appended = false
            if !xhtml, (attributes.last { $0.0 == "xmlns" }?.1 ?? "").isEmpty {
                if tag == "svg" { attributes.append(("xmlns", HTMLSanitizer.svgNamespace)); appended = true }
                if tag == "math" { attributes.append(("xmlns", HTMLSanitizer.mathMLNamespace)); appended = true }
            }
            if tag == "math", attributes.contains(where: { $0 == ("xmlns", HTMLSanitizer.mathMLNamespace) }) { mathML += 1 }
            if tag == "svg", attributes.contains(where: { $0 == ("xmlns", HTMLSanitizer.svgNamespace) }) { svg += 1 }
            if appended { attributes = Self.normalize(attributes) }
            if mathML > 0, HTMLSanitizer.mathMLElements.contains(tag) {
                acceptable = HTMLSanitizer.mathMLAttributes
            } else if svg > 0, HTMLSanitizer.svgElements.contains(tag) {
                acceptable = HTMLSanitizer.svgAttributes
                outTag = HTMLSanitizer.svgNames[tag] ?? tag
                svgCase = true
            } else if !allowed {
                return
            }
        }
        if mathML > 0 || svg > 0, attributes.contains(where: { $0.0.hasPrefix("xlink:") }),
           !attributes.contains(where: { $0 == ("xmlns:xlink", HTMLSanitizer.xlinkNamespace) }) {
            attributes = Self.normalize(attributes + [("xmlns:xlink", HTMLSanitizer.xlinkNamespace)])
        }
        out.append(UInt8(ascii: "<"))
        out.append(utf8: outTag)
        for (name, raw) in attributes {
            let kind: HTMLSanitizer.AttributeKind
            if let acceptable {
                guard acceptable.contains(name) else { continue }
                kind = HTMLSanitizer.uriAttributes.contains(name) ? .uri : .plain
            } else {
                guard let htmlKind = HTMLSanitizer.htmlAttributeKinds[name] else { continue }
                kind = htmlKind
            }
            var value = raw
            if kind == .uri, !base.isEmpty, !firstPassStopped, HTMLSanitizer.relativeURITags[name]?.contains(tag) == true {
                let resolved = Self.safeAbsoluteURI(base: base, value.trimmed)
                if !resolved.isEmpty { value = resolved }
            }
            value = Self.escapeAttribute(value)
            switch kind {
            case .style:
                // Editors repeat the same inline style on many elements: each distinct one is
                // cleaned once per fragment (outside SVG, whose extra properties change the result).
                if svg == 0, let cached = styleCache[value] {
                    value = cached
                } else {
                    let cleaned = sanitizeStyle(value)
                    if svg == 0 { styleCache[value] = cleaned }
                    value = cleaned
                }
                if value.isEmpty { continue }
            case .uri:
                value = Self.safeURI(value)
            case .plain:
                // An SVG animation can set any attribute, a link's `href` too: its values are checked
                // as URIs, each of a `values` list (feedparser lets `javascript:` through here).
                if svgCase, Self.animationValues.contains(name), HTMLSanitizer.svgAnimations.contains(tag),
                   Self.decodeReferences(value).split(separator: ";").contains(where: { item in
                       Self.uriScheme(String(item)).map { !HTMLSanitizer.acceptableURISchemes.contains($0) } ?? false
                   }) {
                    continue
                }
            }
            out.append(0x20)
            out.append(utf8: svgCase ? HTMLSanitizer.svgNames[name] ?? name : name)
            out.append(ascii: "=\"")
            out.append(utf8: value)
            out.append(UInt8(ascii: "\""))
        }
        // (SVG's camel-cased names are none of HTML's void elements.)
        if !svgCase, info.contains(.void) { out.append(ascii: " />") } else { out.append(UInt8(ascii: ">")) }
    }

    /// The attributes of an SVG animation that hold the values it sets.
    static let animationValues: Set<String> = ["to", "from", "values", "by"]

    mutating func endElement(_ tag: String) {
        var tag = tag
        let info = HTMLSanitizer.tagInfo[tag] ?? []
        if !info.contains(.acceptable) {
            if info.contains(.droppedWithText) { unacceptable -= 1 }
            if mathML > 0, HTMLSanitizer.mathMLElements.contains(tag) {
                if tag == "math" { mathML -= 1 }
            } else if svg > 0, HTMLSanitizer.svgElements.contains(tag) {
                tag = HTMLSanitizer.svgNames[tag] ?? tag
                if tag == "svg" { svg -= 1 }
            } else {
                return
            }
        }
        if !info.contains(.void) {
            out.append(ascii: "</")
            out.append(utf8: tag)
            out.append(UInt8(ascii: ">"))
        }
    }

    /// One value per name (the last given), `rel` and `type` values lower-cased, sorted by name (in
    /// code point order, as Python sorts). Tags have few attributes: a scan beats hashing.
    static func normalize(_ attributes: [(String, String)]) -> [(String, String)] {
        if attributes.isEmpty { return attributes }
        var unique: [(String, String)] = []
        unique.reserveCapacity(attributes.count)
        for (name, value) in attributes {
            let value = name == "rel" || name == "type" ? value.lowercased() : value
            if let at = unique.firstIndex(where: { $0.0 == name }) { unique[at].1 = value } else { unique.append((name, value)) }
        }
        if unique.count > 1 { unique.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) } }
        return unique
    }

    /// `<`, `>` and `"` as references, and an `&` that starts no reference as `&amp;`.
    static func escapeAttribute(_ value: String) -> String {
        // Most values have nothing to escape: scanned on the contiguous bytes (the generic
        // `utf8.contains(where:)` cost more than the rest of the attribute's handling).
        var copy = value
        let clean = copy.withUTF8 { bytes in
            for c in bytes where c == UInt8(ascii: "<") || c == UInt8(ascii: ">") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "&") { return false }
            return true
        }
        if clean { return value }
        let v = Array(value.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(v.count + 8)
        for (k, c) in v.enumerated() {
            switch c {
            case UInt8(ascii: "<"): out.append(ascii: "&lt;")
            case UInt8(ascii: ">"): out.append(ascii: "&gt;")
            case UInt8(ascii: "\""): out.append(ascii: "&quot;")
            case UInt8(ascii: "&") where !startsReference(v, k): out.append(ascii: "&amp;")
            default: out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `&#\d+;`, `&#x[0-9a-fA-F]+;` or `&\w+;` at `k`.
    static func startsReference(_ v: [UInt8], _ k: Int) -> Bool {
        var m = k + 1
        if m < v.count, v[m] == UInt8(ascii: "#") {
            m += 1
            let hex = m < v.count && v[m] == UInt8(ascii: "x")
            if hex { m += 1 }
            let start = m
            while m < v.count, hex ? v[m].isHexDigit : isDigit(v[m]) { m += 1 }
            if m > start, m < v.count, v[m] == UInt8(ascii: ";") { return true }
            if hex { return false }
            // `&#` followed by a word: `\w+;` cannot match from `#` either.
            return false
        }
        let start = m
        while m < v.count, ASCIIScan.isWord(v[m]) { m += 1 }
        return m > start && m < v.count && v[m] == UInt8(ascii: ";")
    }

    // MARK: URIs

    /// feedparser's `make_safe_absolute_uri(base, rel)`: `rel` resolved against `base`, or "" when
    /// the result's scheme is not an acceptable one.
    static func safeAbsoluteURI(base: String, _ rel: String) -> String {
        if rel.isEmpty {
            let scheme = uriScheme(base)
            return scheme == nil || HTMLSanitizer.acceptableURISchemes.contains(scheme!) ? base : ""
        }
        let uri = URLResolver.resolve(removeExtraSlashes(rel), against: base)
        // The text before the first colon (all of it when there is none), white space trimmed.
        let trimmed = uri.trimmed
        let head = trimmed.utf8.firstIndex(of: UInt8(ascii: ":")).map { String(trimmed[..<$0]) } ?? trimmed
        return HTMLSanitizer.acceptableURISchemes.contains(head) ? uri : ""
    }

    /// `scheme:///x` read as `scheme://x` (feedparser's `_urifixer`).
    static func removeExtraSlashes(_ uri: String) -> String {
        guard let scheme = URLResolver.scheme(of: uri) else { return uri }
        let u = uri.utf8
        var k = u.index(after: scheme.endIndex)  // after the colon
        guard u[k...].starts(with: "//".utf8) else { return uri }
        k = u.index(k, offsetBy: 2)
        let afterSlashes = k
        while k < u.endIndex, u[k] == UInt8(ascii: "/") { k = u.index(after: k) }
        return k == afterSlashes ? uri : String(uri[..<afterSlashes]) + uri[k...]
    }

    /// The value, or "" when it names a scheme that is not acceptable (`javascript:`, `data:`...),
    /// also when the scheme is hidden behind character references, controls or white space.
    static func safeURI(_ value: String) -> String {
        guard !value.isEmpty else { return "" }
        // A scheme ends before the first `/` or `?` (a `#` may belong to a reference): only that much
        // needs decoding.
        let head = value.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }.map { String(value[..<$0]) } ?? value
        guard let scheme = uriScheme(decodeReferences(head)) else { return value }
        return HTMLSanitizer.acceptableURISchemes.contains(scheme) ? value : ""
    }

    /// Python's `urlsplit` scheme: leading controls and spaces skipped, tabs and line breaks removed,
    /// a letter then letters, digits, `+`, `-` or `.` before the first `:`; lower-cased.
    static func uriScheme(_ uri: String) -> String? {
        var scheme: [UInt8] = []
        var started = false, colon = false
        for c in uri.utf8 {
            if !started, c <= 0x20 { continue }
            started = true
            if c == 0x09 || c == 0x0A || c == 0x0D { continue }
            if c == UInt8(ascii: ":") { colon = true; break }
            let ok = scheme.isEmpty ? isAlpha(c) : (isAlnum(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: "."))
            guard ok else { return nil }
            scheme.append(ASCIIScan.lower(c))
        }
        guard colon, !scheme.isEmpty else { return nil }
        return String(decoding: scheme, as: UTF8.self)
    }

    /// Numeric references and the named ones a browser would read in a URI (`&colon;`, `&Tab;`...)
    /// decoded, to see the scheme a browser would see.
    static func decodeReferences(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "&")) else { return value }
        let v = Array(value.utf8)
        var out = ""
        var k = 0
        while k < v.count {
            if v[k] == UInt8(ascii: "&") {
                var m = k + 1
                if m < v.count, v[m] == UInt8(ascii: "#") {
                    m += 1
                    let hex = m < v.count && (v[m] | 0x20) == UInt8(ascii: "x")
                    if hex { m += 1 }
                    var code: UInt32 = 0
                    let start = m
                    while m < v.count, hex ? v[m].isHexDigit : isDigit(v[m]), code < 0x110000 {
                        code = code * (hex ? 16 : 10) + UInt32(v[m] <= 0x39 ? v[m] - 0x30 : (v[m] | 0x20) - 0x61 + 10)
                        m += 1
                    }
                    if m > start, let scalar = Unicode.Scalar(code) {
                        out.unicodeScalars.append(scalar)
                        k = m < v.count && v[m] == UInt8(ascii: ";") ? m + 1 : m
                        continue
                    }
                } else {
                    while m < v.count, isAlnum(v[m]) { m += 1 }
                    let name = String(decoding: v[(k + 1)..<m], as: UTF8.self).lowercased()
                    let named: [String: String] = ["colon": ":", "tab": "\t", "newline": "\n", "amp": "&"]
                    if let replacement = named[name] {
                        out += replacement
                        k = m < v.count && v[m] == UInt8(ascii: ";") ? m + 1 : m
                        continue
                    }
                }
            }
            out.unicodeScalars.append(Unicode.Scalar(v[k]))
            k += 1
        }
        return out
    }
}
