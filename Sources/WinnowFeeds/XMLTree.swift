#if canImport(Glibc)
import Glibc
#endif

/// A forgiving XML parser written for feeds: it reads well-formed XML exactly, and from ill-formed
/// XML (unclosed or mismatched tags, undefined entities, a bare `&`, text or garbage after the root)
/// it recovers what a reader would see, recording the first problem as the bozo reason.
///
/// It never fetches anything: a DOCTYPE is skipped whole, so no external entity or DTD is read and
/// no declared entity is expanded (billion laughs and quadratic blow-up have nothing to expand).
/// Depth and attribute counts are bounded; the work is linear in the input.
struct XMLTreeParser {
    /// A feed never needs more; deeper documents are cut there.
    static let maxDepth = 512

    private let bytes: [UInt8]
    private var i = 0
    /// The open elements, innermost last, each with the namespace scope inside it: one array, so that
    /// a document costs one allocation for its stack, not one per thing kept per level.
    private var stack: [Frame] = []
    private struct Frame {
        let element: XMLElement
        /// Prefixes in scope. Most elements declare nothing: they share their parent's dictionary
        /// without copying it.
        let scope: [String: String]
        /// The default namespace, kept apart from the prefixes: an element without a prefix, the usual
        /// case, finds its namespace without hashing, and declaring one copies no dictionary.
        let defaultNamespace: String?
    }
    /// The scope outside the root: only `xml` is bound. Shared by every parse, not built for each.
    private static let outerScope: [String: String] = ["xml": XMLNamespaces.xml]
    private(set) var root: XMLElement?
    private(set) var problem: String?
    private var rootClosed = false

    /// Whether the document was UTF-8, for undoing double encoding in text (see `Windows1252Repair`).
    private let utf8Document: Bool

    init(_ bytes: [UInt8], utf8Document: Bool = true) {
        self.bytes = bytes
        self.utf8Document = utf8Document
        // Feeds nest a few levels: the stacks are allocated once, not grown level by level.
        stack.reserveCapacity(16)
    }

    /// Parses UTF-8 bytes; returns the root element (nil when there is none) and the first problem.
    static func parse(_ bytes: [UInt8], utf8Document: Bool = true) -> (root: XMLElement?, problem: String?) {
        var parser = XMLTreeParser(bytes, utf8Document: utf8Document)
        parser.run()
        return (parser.root, parser.problem)
    }

    /// Records the first problem; later ones are not even formatted (ill-formed HTML in a feed makes many).
    private mutating func report(_ message: @autoclosure () -> String) {
        if problem == nil { problem = message() + " (at byte \(i))" }
    }

    /// The innermost open element, read in place (`stack.last` would copy its whole frame, and
    /// retain and release each of its fields, on every tag and text).
    private var innermost: XMLElement? { stack.isEmpty ? nil : stack[stack.count - 1].element }

    private mutating func run() {
        let n = bytes.count
        while i < n {
            let textStart = i
            i = bytes.withUnsafeBufferPointer { ASCIIScan.index(of: UInt8(ascii: "<"), in: $0, from: textStart) } ?? n
            if i > textStart { addText(textStart, i, decodeEntities: true) }
            guard i < n else { break }
            let next = i + 1 < n ? bytes[i + 1] : 0
            if next != UInt8(ascii: "!"), next != UInt8(ascii: "?") {
                // Most markup is a tag: decided on one byte.
                if next == UInt8(ascii: "/") { endTag() } else { startTag() }
            } else if starts(with: "<!--") {
                guard let end = find("-->", from: i + 4) else { report("unclosed comment"); i = n; break }
                i = end + 3
            } else if starts(with: "<![CDATA[") {
                let start = i + 9
                if let end = find("]]>", from: start) {
                    addText(start, end, decodeEntities: false)
                    i = end + 3
                } else {
                    report("unclosed CDATA section")
                    addText(start, n, decodeEntities: false)
                    i = n
                }
            } else if next == UInt8(ascii: "!") {
                skipDeclaration()
            } else {  // "<?"
                guard let end = find("?>", from: i + 2) else { report("unclosed processing instruction"); i = n; break }
                i = end + 2
            }
        }
        if root == nil { report("no root element") } else if let unclosed = stack.last?.element.qualifiedName { report("unclosed element <\(unclosed)>") }
        for frame in stack { frame.element.cutOff = true }
    }

    private func starts(with prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= bytes.count else { return false }
        return prefix.withUTF8Buffer { p in
            for k in 0..<count where bytes[i + k] != p[k] { return false }
            return true
        }
    }

    private func find(_ needle: StaticString, from start: Int) -> Int? {
        needle.withUTF8Buffer { p in
            bytes.withUnsafeBufferPointer { b in
                let count = p.count
                var j = start
                // memchr to each candidate first byte, then compare the rest.
                while let hit = ASCIIScan.index(of: p[0], in: b, from: j) {
                    j = hit
                    guard j + count <= b.count else { return nil }
                    var k = 1
                    while k < count, b[j + k] == p[k] { k += 1 }
                    if k == count { return j }
                    j += 1
                }
                return nil
            }
        }
    }

    /// `<!DOCTYPE ...>` with an optional internal subset in brackets: skipped, never interpreted.
    private mutating func skipDeclaration() {
        var depth = 0
        var quote: UInt8 = 0
        i += 2
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            if quote != 0 { if b == quote { quote = 0 }; continue }
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = b
            case UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ">") where depth <= 0: return
            default: break
            }
        }
        report("unclosed declaration")
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        b >= 0x80 || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private mutating func readName() -> String {
        let start = i
        while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func skipSpace() { while i < bytes.count, Self.isSpace(bytes[i]) { i += 1 } }

    private mutating func startTag() {
        let tagStart = i
        i += 1
        guard i < bytes.count, Self.isNameByte(bytes[i]), bytes[i] != UInt8(ascii: "-"), bytes[i] != UInt8(ascii: ".") else {
            report("'<' not starting a tag")
            addText(tagStart, tagStart + 1, decodeEntities: false)
            return
        }
        let qualifiedName = readName()
        var attributes: [(name: String, value: String)] = []
        var selfClosing = false
        while i < bytes.count {
            skipSpace()
            guard i < bytes.count else { break }
            let b = bytes[i]
            if b == UInt8(ascii: ">") { i += 1; break }
            if b == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">") { selfClosing = true; i += 2; break }
            guard Self.isNameByte(b) else { report("unexpected character in <\(qualifiedName)>"); i += 1; continue }
            let name = readName()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else {
                report("attribute \(name) without a value")
                attributes.append((name, name))
                continue
            }
            i += 1
            skipSpace()
            var value = ""
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                let quote = bytes[i]
                let start = i + 1
                let end = bytes.withUnsafeBufferPointer { ASCIIScan.index(of: quote, in: $0, from: start) } ?? bytes.count
                if end == bytes.count { report("unclosed attribute value") }
                value = decode(start, end, attribute: true)
                i = min(end + 1, bytes.count)
            } else {
                report("unquoted attribute value")
                let start = i
                while i < bytes.count, !Self.isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">") { i += 1 }
                value = decode(start, i, attribute: true)
            }
            if attributes.count < 256, !attributes.contains(where: { $0.name == name }) { attributes.append((name, value)) }
        }
        if i >= bytes.count, bytes.last != UInt8(ascii: ">") { report("unclosed tag <\(qualifiedName)>") }
        open(qualifiedName, attributes, selfClosing: selfClosing)
    }

    private mutating func open(_ qualifiedName: String, _ attributes: [(name: String, value: String)], selfClosing: Bool) {
        if rootClosed { report("content after the root element"); return }
        guard stack.count < Self.maxDepth else {
            report("elements nested deeper than \(Self.maxDepth) levels")
            i = bytes.count
            return
        }
        // Most elements declare nothing: they share their parent's scope without copying it.
        var scope = stack.isEmpty ? Self.outerScope : stack[stack.count - 1].scope
        var defaultNamespace = stack.isEmpty ? nil : stack[stack.count - 1].defaultNamespace
        for (name, value) in attributes where name.utf8.first == UInt8(ascii: "x") && name.hasPrefix("xmlns") {
            if name == "xmlns" {
                defaultNamespace = value
            } else if name.hasPrefix("xmlns:") {
                scope[String(name.dropFirst(6))] = value
            }
        }
        let (prefix, local) = Self.split(qualifiedName)
        let namespace: String
        if prefix == nil {
            namespace = defaultNamespace ?? ""
        } else if prefix!.isEmpty, let uri = defaultNamespace ?? scope[""] {  // `:name`: the default namespace's
            namespace = uri
        } else if !prefix!.isEmpty, let uri = scope[prefix!] {
            namespace = uri
        } else {
            report("undeclared namespace prefix \(prefix!)")
            namespace = ""
        }
        var name = local
        let lower = name.withUTF8 { bytes in !bytes.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") || $0 >= 0x80 } }
        let lowerName = lower ? local : local.lowercased()
        let element = XMLElement(qualifiedName: qualifiedName, name: lowerName, namespace: namespace, attributes: attributes)
        if let parent = innermost { parent.append(element) } else { root = element }
        if !selfClosing {
            stack.append(Frame(element: element, scope: scope, defaultNamespace: defaultNamespace))
        } else if stack.isEmpty {
            rootClosed = true
        }
    }

    static func split(_ qualifiedName: String) -> (prefix: String?, local: String) {
        guard let colon = qualifiedName.utf8.firstIndex(of: UInt8(ascii: ":")) else { return (nil, qualifiedName) }
        return (String(qualifiedName[..<colon]), String(qualifiedName[qualifiedName.utf8.index(after: colon)...]))
    }

    private mutating func endTag() {
        i += 2
        let nameStart = i
        while i < bytes.count, Self.isNameByte(bytes[i]) { i += 1 }
        let nameBytes = bytes[nameStart..<i]
        // The usual case, the innermost open element, is matched on its bytes without making a String.
        let closesInnermost = innermost.map { element in
            var open = element.qualifiedName
            return open.withUTF8 { o in nameBytes.withUnsafeBufferPointer { c in o.count == c.count && memcmp(o.baseAddress!, c.baseAddress!, c.count) == 0 } }
        } ?? false
        let name = closesInnermost ? innermost!.qualifiedName : String(decoding: nameBytes, as: UTF8.self)
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: ">") { i += 1 } else { report("malformed end tag </\(name)>"); while i < bytes.count, bytes[i] != UInt8(ascii: ">") { i += 1 }; i += 1 }
        guard let index = closesInnermost ? stack.count - 1 : stack.lastIndex(where: { $0.element.qualifiedName == name }) else {
            report("end tag </\(name)> without a start tag")
            return
        }
        if index != stack.count - 1, let innermost = stack.last?.element.qualifiedName { report("mismatched tag: </\(name)> closes <\(innermost)>") }
        if index == stack.count - 1 {
            // The usual case: the generic removeSubrange cost more than the rest of the end tag.
            stack.removeLast()
        } else {
            stack.removeSubrange(index...)
        }
        if stack.isEmpty { rootClosed = true }
    }

    private mutating func addText(_ start: Int, _ end: Int, decodeEntities: Bool) {
        guard let parent = innermost else {
            if bytes[start..<end].contains(where: { !Self.isSpace($0) }) {
                let where_ = root == nil ? "before" : "after"
                report("text \(where_) the root element")
            }
            return
        }
        let text: String
        if let indentation = Self.indentation(bytes[start..<end]) {
            text = indentation
        } else {
            let decoded = decodeEntities ? decode(start, end, attribute: false) : String(decoding: bytes[start..<end], as: UTF8.self)
            text = Windows1252Repair.repair(decoded, utf8Document: utf8Document)
        }
        parent.append(text: text)
    }

    /// The white space between elements, a line break then spaces or tabs, comes as one of these
    /// instead of a new string: most text nodes of a feed are such indentation.
    private static let indentations: (spaces: [String], tabs: [String]) = (
        (0..<64).map { "\n" + String(repeating: " ", count: $0) }, (0..<16).map { "\n" + String(repeating: "\t", count: $0) })

    private static func indentation(_ run: ArraySlice<UInt8>) -> String? {
        guard run.first == 0x0A, let pad = run.dropFirst().first else { return run.count == 1 && run.first == 0x0A ? indentations.spaces[0] : nil }
        guard pad == 0x20 || pad == 0x09, run.dropFirst().allSatisfy({ $0 == pad }) else { return nil }
        let table = pad == 0x20 ? indentations.spaces : indentations.tabs
        return run.count - 1 < table.count ? table[run.count - 1] : nil
    }

    /// Decodes character and entity references: the XML five, numeric ones and HTML's named ones (which
    /// feeds use undeclared: a problem, but the character a reader expects). A bare `&` stays.
    private mutating func decode(_ start: Int, _ end: Int, attribute: Bool) -> String {
        // Most text and attribute values have nothing to decode.
        let plain = bytes.withUnsafeBufferPointer { b in
            attribute ? !b[start..<end].contains { $0 == UInt8(ascii: "&") || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
                : ASCIIScan.index(of: UInt8(ascii: "&"), in: b, from: start, to: end) == nil
        }
        guard !plain else { return String(decoding: bytes[start..<end], as: UTF8.self) }
        // Written straight into the string's storage, which the source's length always fits: every
        // reference is longer than the UTF-8 of the character it stands for (`&lt;` 4 bytes for 1,
        // `&#8230;` 7 for 3, `&Pi;` 4 for 2), and everything else is copied as it is.
        return String(unsafeUninitializedCapacity: end - start) { out in
            var n = 0
            func put(_ byte: UInt8) {
                precondition(n < out.count)
                out[n] = byte
                n += 1
            }
            var j = start
            while j < end {
                let b = bytes[j]
                if attribute, b == 0x09 || b == 0x0A || b == 0x0D { put(0x20); j += 1; continue }
                guard b == UInt8(ascii: "&") else { put(b); j += 1; continue }
                var k = j + 1
                while k < end, k - j < 40, bytes[k] != UInt8(ascii: ";"), bytes[k] != UInt8(ascii: "&"), !Self.isSpace(bytes[k]) { k += 1 }
                guard k < end, bytes[k] == UInt8(ascii: ";"), k > j + 1 else {
                    report("unescaped '&'")
                    put(b)
                    j += 1
                    continue
                }
                // The five XML entities, which escaped HTML is made of, are read on their bytes.
                if let byte = Self.xmlEntity(bytes[(j + 1)..<k]) {
                    put(byte)
                    j = k + 1
                    continue
                }
                let name = String(decoding: bytes[(j + 1)..<k], as: UTF8.self)
                if let scalar = Self.reference(name) {
                    UTF8.encode(scalar) { put($0) }
                    if !name.hasPrefix("#") { report("undefined entity &\(name);") }
                } else {
                    report("undefined entity &\(name);")
                    for byte in bytes[j...k] { put(byte) }
                }
                j = k + 1
            }
            return n
        }
    }

    /// `lt`, `gt`, `amp`, `quot`, `apos` as the byte they stand for.
    static func xmlEntity(_ name: ArraySlice<UInt8>) -> UInt8? {
        switch name.count {
        case 2 where name.last == UInt8(ascii: "t"):
            if name.first == UInt8(ascii: "l") { return UInt8(ascii: "<") }
            if name.first == UInt8(ascii: "g") { return UInt8(ascii: ">") }
        case 3 where name.elementsEqual("amp".utf8): return UInt8(ascii: "&")
        case 4 where name.elementsEqual("quot".utf8): return UInt8(ascii: "\"")
        case 4 where name.elementsEqual("apos".utf8): return UInt8(ascii: "'")
        default: break
        }
        return nil
    }

    static func reference(_ name: String) -> Unicode.Scalar? {
        switch name {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default: break
        }
        if name.hasPrefix("#x") || name.hasPrefix("#X") {
            return UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).flatMap(allowed)
        }
        if name.hasPrefix("#") { return UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).flatMap(allowed) }
        return HTMLEntities.codepoints[name].flatMap(Unicode.Scalar.init)
    }

    /// Characters XML allows (NUL and most C0 controls are not).
    static func allowed(_ s: Unicode.Scalar) -> Unicode.Scalar? {
        s.value >= 0x20 || s.value == 0x09 || s.value == 0x0A || s.value == 0x0D ? s : nil
    }
}

/// Two repairs feedparser makes to element text, for text that went through Windows code pages:
/// UTF-8 that was read as Latin-1 and encoded again ("â€¦" for "…", undone in UTF-8 documents when
/// the text is all Latin-1 and its bytes are valid UTF-8), and the C1 control characters U+0080 to
/// U+009F, which are never meant and stand for the Windows-1252 characters of those bytes.
enum Windows1252Repair {
    static func repair(_ text: String, utf8Document: Bool) -> String {
        guard mayNeedRepair(text) else { return text }
        var result = text
        if utf8Document, text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) {
            let latin1 = text.unicodeScalars.map { UInt8($0.value) }
            if FeedEncoding.isValidUTF8(latin1) { result = String(decoding: latin1, as: UTF8.self) }
        }
        guard result.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) else { return result }
        var scalars = String.UnicodeScalarView()
        for scalar in result.unicodeScalars {
            if (0x80...0x9F).contains(scalar.value), let mapped = windows1252[Int(scalar.value - 0x80)] { scalars.append(mapped) } else { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// Both repairs need a character from U+0080 to U+00FF, whose UTF-8 starts with C2 or C3. Runs of
    /// ASCII are skipped eight bytes at a time: this runs on every text node.
    static func mayNeedRepair(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { b in
            var i = ASCIIScan.endOfASCII(in: b, from: 0)
            while i < b.count {
                if b[i] == 0xC2 || b[i] == 0xC3 { return true }
                i = ASCIIScan.endOfASCII(in: b, from: i + 1)
            }
            return false
        }
    }

    /// Windows-1252's characters for bytes 0x80 to 0x9F (nil where it has none).
    static let windows1252: [Unicode.Scalar?] = [
        0x20AC, nil, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, nil, 0x017D, nil,
        nil, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, nil, 0x017E, 0x0178,
    ].map { $0.flatMap(Unicode.Scalar.init) }
}
