import Foundation

/// The tokens of an HTML byte stream: text (entities decoded), start tags with their attributes
/// (names lowercased, values decoded) and end tags. Comments, doctypes and processing instructions are
/// skipped; a `<` that starts no tag is text.
struct HTMLScanner {
    enum Token {
        case text(String)
        case startTag(String, HTMLTree.TagKind, UInt8, [(String, String)], selfClosing: Bool)
        case endTag(String)
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    /// Attributes the tree reads on every element; on `HTMLTree.attributeTags` elements all are kept.
    static func isRead(_ attribute: String) -> Bool {
        switch attribute {
        case "class", "id", "hidden", "style", "itemprop", "role": return true
        default: return false
        }
    }

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func next() -> Token? {
        let count = bytes.count
        while position < count {
            if bytes[position] != UInt8(ascii: "<") {
                let start = position
                position = find(UInt8(ascii: "<"), from: position) ?? count
                // White space between tags (most text nodes of a page) only separates words: one space,
                // no allocation.
                var k = start
                while k < position, Self.isSpace(bytes[k]) { k += 1 }
                if k == position { return .text(" ") }
                return .text(Self.decodeEntities(bytes, start, position))
            }
            // A "<": which kind of markup?
            let after = position + 1
            guard after < count else { position = count; return .text("<") }
            let c = bytes[after]
            if c == UInt8(ascii: "!") {
                if matches("<!--", at: position) {
                    position = find("-->", from: position + 4).map { $0 + 3 } ?? count
                } else if matches("<![CDATA[", at: position) {
                    let start = position + 9
                    let end = find("]]>", from: start) ?? count
                    position = min(count, end + 3)
                    return .text(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                } else {
                    position = (find(UInt8(ascii: ">"), from: after) ?? count - 1) + 1
                }
                continue
            }
            if c == UInt8(ascii: "?") {
                position = (find(UInt8(ascii: ">"), from: after) ?? count - 1) + 1
                continue
            }
            if c == UInt8(ascii: "/") {
                let nameStart = after + 1
                guard nameStart < count, Self.isLetter(bytes[nameStart]) else {
                    // "</>" or "</ 3": browsers drop it as a bogus comment.
                    position = (find(UInt8(ascii: ">"), from: after) ?? count - 1) + 1
                    continue
                }
                let name = readName(from: nameStart)
                position = (find(UInt8(ascii: ">"), from: position) ?? count - 1) + 1
                return .endTag(name)
            }
            guard Self.isLetter(c) else {
                position += 1
                return .text("<")
            }
            position = after
            let name = readName(from: after)
            let (kind, id) = HTMLTree.TagKind.table[name] ?? ([], 0)
            let keepsAll = kind.contains(.keepsAttributes)
            var attributes: [(String, String)] = []
            var selfClosing = false
            // Attributes up to the closing ">"; quotes may hold ">".
            while position < count {
                let b = bytes[position]
                if b == UInt8(ascii: ">") { position += 1; break }
                if Self.isSpace(b) { position += 1; continue }
                if b == UInt8(ascii: "/") {
                    position += 1
                    if position < count, bytes[position] == UInt8(ascii: ">") { selfClosing = true }
                    continue
                }
                let nameStart = position
                while position < count, !Self.isSpace(bytes[position]), bytes[position] != UInt8(ascii: ">"),
                      bytes[position] != UInt8(ascii: "="), !(bytes[position] == UInt8(ascii: "/") && position > nameStart) {
                    position += 1
                }
                if position == nameStart { position += 1; continue }  // a lone "=": skip it
                let attributeName = Self.lowercased(bytes, nameStart, position)
                // Values of attributes nobody reads (href, src, data-*) are skipped, not decoded.
                let wanted = keepsAll || Self.isRead(attributeName)
                while position < count, Self.isSpace(bytes[position]) { position += 1 }
                var value = ""
                if position < count, bytes[position] == UInt8(ascii: "=") {
                    position += 1
                    while position < count, Self.isSpace(bytes[position]) { position += 1 }
                    if position < count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") {
                        let quote = bytes[position]
                        let start = position + 1
                        let end = find(quote, from: start) ?? count
                        if wanted { value = Self.decodeEntities(bytes, start, end) }
                        position = min(count, end + 1)
                    } else {
                        let start = position
                        while position < count, !Self.isSpace(bytes[position]), bytes[position] != UInt8(ascii: ">") { position += 1 }
                        if wanted { value = Self.decodeEntities(bytes, start, position) }
                    }
                }
                // Only the first of a repeated attribute counts, as in browsers; a runaway tag keeps at most 256.
                if wanted, attributes.count < 256 {
                    if attributes.isEmpty { attributes.reserveCapacity(4) }  // one allocation, not one for each of the first few
                    attributes.append((attributeName, value))
                }
            }
            return .startTag(name, kind, id, attributes, selfClosing: selfClosing)
        }
        return nil
    }

    /// Where the raw text of a raw-text element lies, up to its end tag (case-insensitive), leaving the scanner
    /// after it. When the end tag never comes, the element ends at the next tag. A range, not a String: most
    /// raw text is script and style, never read.
    mutating func rawText(until tag: String) -> Range<Int> {
        let closing = Array("</\(tag)".utf8)
        var search = position
        while let candidate = find(UInt8(ascii: "<"), from: search) {
            if candidate + closing.count <= bytes.count {
                var same = true
                for (k, b) in closing.enumerated() where Self.lower(bytes[candidate + k]) != b { same = false; break }
                let next = candidate + closing.count
                if same, next == bytes.count || Self.isSpace(bytes[next]) || bytes[next] == UInt8(ascii: ">") || bytes[next] == UInt8(ascii: "/") {
                    let text = position..<candidate
                    position = (find(UInt8(ascii: ">"), from: next) ?? bytes.count - 1) + 1
                    return text
                }
            } else {
                break
            }
            search = candidate + 1
        }
        // No end tag: the element ends at the next tag, so the body survives, as it does in libxml2 (and so
        // lxml); browsers make the rest of the page title or script text and leave the body empty.
        var end = bytes.count
        search = position
        while let candidate = find(UInt8(ascii: "<"), from: search) {
            let next = candidate + 1
            if next + 1 < bytes.count, Self.isLetter(bytes[next]) || (bytes[next] == UInt8(ascii: "/") && Self.isLetter(bytes[next + 1])) {
                end = candidate
                break
            }
            search = next
        }
        let text = position..<end
        position = end  // the tag that ended it is read as markup
        return text
    }

    /// The bytes of `range` as text, as they are.
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The bytes of `range` as text, character references decoded.
    func decodedString(_ range: Range<Int>) -> String {
        Self.decodeEntities(bytes, range.lowerBound, range.upperBound)
    }

    private mutating func readName(from start: Int) -> String {
        position = start
        while position < bytes.count {
            let b = bytes[position]
            if Self.isSpace(b) || b == UInt8(ascii: ">") || b == UInt8(ascii: "/") { break }
            position += 1
        }
        return Self.lowercased(bytes, start, position)
    }

    private func matches(_ literal: StaticString, at index: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let pointer = literal.utf8Start
        for k in 0..<count where Self.lower(bytes[index + k]) != Self.lower(pointer[k]) { return false }
        return true
    }

    private func find(_ byte: UInt8, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let hit = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    private func find(_ literal: StaticString, from start: Int) -> Int? {
        let first = literal.utf8Start[0]
        var search = start
        while let candidate = find(first, from: search) {
            if matches(literal, at: candidate) { return candidate }
            search = candidate + 1
        }
        return nil
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C }
    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// ASCII letters lowercased, the rest as it is (class names and attribute values are compared as ASCII).
    static func asciiLowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
        var text = text
        return text.withUTF8 { lowercased($0, 0, $0.count) }
    }

    static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(unsafeUninitializedCapacity: end - start) { buffer in
            for k in start..<end { buffer[k - start] = lower(bytes[k]) }
            return end - start
        }
    }

    // MARK: Character references

    static func decodeEntities(_ text: String) -> String {
        var text = text
        return text.withUTF8 { decodeEntities($0, 0, $0.count) }
    }

    /// The bytes as text with character references decoded the way browsers do: named ones from the
    /// HTML table (the legacy ones also without ";"), numeric ones with C1 controls read as Windows-1252,
    /// and invalid code points as U+FFFD. Invalid UTF-8 becomes U+FFFD.
    static func decodeEntities(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard let base = slice.baseAddress, memchr(base, Int32(UInt8(ascii: "&")), slice.count) != nil else {
            return String(decoding: slice, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var i = 0
        while i < slice.count {
            let b = slice[i]
            guard b == UInt8(ascii: "&") else { out.append(b); i += 1; continue }
            if let (scalars, length) = reference(slice, i + 1) {
                for scalar in scalars.unicodeScalars { out.append(contentsOf: Array(String(scalar).utf8)) }
                i += 1 + length
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The reference starting after an "&": its text and how many bytes it took, or nil when it is none.
    private static func reference(_ s: UnsafeBufferPointer<UInt8>, _ start: Int) -> (String, Int)? {
        guard start < s.count else { return nil }
        if s[start] == UInt8(ascii: "#") {
            var i = start + 1
            var hex = false
            if i < s.count, s[i] | 0x20 == UInt8(ascii: "x") { hex = true; i += 1 }
            var value: UInt32 = 0
            var digits = 0
            while i < s.count {
                let b = s[i]
                let digit: UInt32
                if b >= 0x30 && b <= 0x39 { digit = UInt32(b - 0x30) }
                else if hex, (b | 0x20) >= 0x61 && (b | 0x20) <= 0x66 { digit = UInt32((b | 0x20) - 0x61 + 10) }
                else { break }
                value = min(0x110000, value * (hex ? 16 : 10) + digit)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if i < s.count, s[i] == UInt8(ascii: ";") { i += 1 }
            if (0x80...0x9F).contains(value), let mapped = windows1252[value] { value = mapped }
            let scalar = value == 0 ? nil : Unicode.Scalar(value)
            return (String(scalar ?? "\u{FFFD}"), i - start)
        }
        var i = start
        while i < s.count, i - start < 32, isLetter(s[i]) || (s[i] >= 0x30 && s[i] <= 0x39) { i += 1 }
        guard i > start else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: s[start..<i]), as: UTF8.self)
        if i < s.count, s[i] == UInt8(ascii: ";"), let value = HTMLEntityTable.names[name + ";"] { return (value, i + 1 - start) }
        // Legacy references without ";": the longest known prefix ("&copy2019" is "©2019").
        var length = i - start
        while length >= 2 {
            let prefix = String(decoding: UnsafeBufferPointer(rebasing: s[start..<(start + length)]), as: UTF8.self)
            if let value = HTMLEntityTable.names[prefix] { return (value, length) }
            length -= 1
        }
        return nil
    }

    /// HTML reads numeric references to C1 controls as the Windows-1252 characters they were meant to be.
    static let windows1252: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
        0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018,
        0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC,
        0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A, 0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]
}
