import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Decides a feed's character encoding and converts it to UTF-8, as feedparser does (RFC 3023):
/// a byte-order mark wins; an HTTP charset on an XML or text media type comes next; `text/*` without
/// one means US-ASCII; then the XML declaration; then UTF-8. When the chosen encoding cannot decode
/// the bytes, the others are tried in turn and the document is flagged. Conversion is iconv's, so
/// every encoding glibc knows (ISO-8859-x, windows-125x, KOI8-R, Shift_JIS, GB2312, Big5, EUC-*...) works.
enum FeedEncoding {
    struct Decision {
        var bytes: [UInt8]        // the document as UTF-8, without a BOM
        var encoding: String      // what was used, lower-cased
        var problem: String?      // why the document is flagged, when it is
    }

    static func decode(_ data: Data, contentType: String? = nil) -> Decision {
        // Copied from the contiguous bytes: `[UInt8](data)` walks Data's iterator.
        var bytes = data.withUnsafeBytes { [UInt8]($0) }
        // The first four bytes, big-endian in one word: the byte-order mark or how "<?xml" is spelled.
        let head = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } << (8 * UInt32(4 - min(4, bytes.count)))
        var bomEncoding: String?
        // A document shorter than four bytes is padded with zeros above, which must not read as UTF-32.
        let four = bytes.count >= 4
        if head >> 8 == 0xEF_BBBF { bomEncoding = "utf-8"; bytes.removeFirst(3) }
        else if four && head == 0x0000_FEFF { bomEncoding = "utf-32be"; bytes.removeFirst(4) }
        else if four && head == 0xFFFE_0000 { bomEncoding = "utf-32le"; bytes.removeFirst(4) }
        else if head >> 16 == 0xFEFF { bomEncoding = "utf-16be"; bytes.removeFirst(2) }
        else if head >> 16 == 0xFFFE { bomEncoding = "utf-16le"; bytes.removeFirst(2) }
        // Without a BOM, UTF-16/32 still show in how "<?xml" is spelled.
        else if four && head == 0x003C_003F { bomEncoding = "utf-16be" }
        else if four && head == 0x3C00_3F00 { bomEncoding = "utf-16le" }
        else if four && head == 0x0000_003C { bomEncoding = "utf-32be" }
        else if four && head == 0x3C00_0000 { bomEncoding = "utf-32le" }
        let declared = bomEncoding == nil ? declaredEncoding(bytes) : nil
        // The common case: UTF-8 by every account.
        if bomEncoding == nil, contentType == nil, declared == nil || declared == "utf-8", isValidUTF8(bytes) {
            return Decision(bytes: bytes, encoding: "utf-8", problem: nil)
        }
        let (mediaType, httpCharset) = parseContentType(contentType)
        var problem: String?
        var chosen: String
        if let bomEncoding {
            chosen = bomEncoding
        } else if let httpCharset, isXML(mediaType) || mediaType.hasPrefix("text/") || mediaType.hasSuffix("json") {
            chosen = httpCharset
        } else if mediaType.hasPrefix("text/"), isXML(mediaType) {
            chosen = "us-ascii"
        } else {
            chosen = declared ?? "utf-8"
        }
        if !mediaType.isEmpty, !isXML(mediaType), !mediaType.hasSuffix("json") {
            problem = "served as \(mediaType), not an XML media type"
        }
        if chosen == "utf-16" || chosen == "utf-32" { chosen += "be" }
        if chosen == "gb2312" || chosen == "gbk" { chosen = "gb18030" }  // its superset, as browsers and feedparser read it
        var candidates = [chosen]
        for fallback in [declared, "utf-8", "windows-1252", "iso-8859-1"].compactMap({ $0 }) where !candidates.contains(fallback) {
            candidates.append(fallback)
        }
        for (index, encoding) in candidates.enumerated() {
            if let utf8 = convert(bytes, from: encoding) {
                if index > 0, problem == nil { problem = "document declared as \(chosen) but could not be decoded as such; decoded as \(encoding)" }
                return Decision(bytes: utf8, encoding: encoding, problem: problem)
            }
        }
        // iso-8859-1 decodes anything; this is not reached.
        return Decision(bytes: bytes, encoding: "utf-8", problem: "undecodable bytes")
    }

    /// XML media types: */xml, *+xml, and application/xml-dtd or (text or application) xml-external-parsed-entity.
    static func isXML(_ mediaType: String) -> Bool {
        mediaType.hasSuffix("/xml") || mediaType.hasSuffix("+xml") || mediaType.hasPrefix("application/xml") || mediaType.hasPrefix("text/xml")
    }

    /// `encoding="..."` from an ASCII-compatible XML declaration.
    static func declaredEncoding(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 5, bytes[0] == UInt8(ascii: "<"), bytes[1] == UInt8(ascii: "?"), bytes[2] == UInt8(ascii: "x"),
              bytes[3] == UInt8(ascii: "m"), bytes[4] == UInt8(ascii: "l") else { return nil }
        let head = bytes.prefix(200)
        guard let end = head.firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let declaration = head[..<end]
        guard let at = declaration.indices.first(where: { declaration[$0] == UInt8(ascii: "e") && ASCIIScan.hasPrefix(declaration, at: $0, "encoding") }) else { return nil }
        let rest = String(decoding: declaration[(at + 8)...], as: UTF8.self).drop { $0 == " " || $0 == "=" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let value = rest.dropFirst().prefix { $0 != quote }
        return value.isEmpty ? nil : value.lowercased()
    }

    static func parseContentType(_ contentType: String?) -> (mediaType: String, charset: String?) {
        guard let contentType else { return ("", nil) }
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let mediaType = parts.first?.lowercased() ?? ""
        var charset: String?
        for part in parts.dropFirst() {
            // "charset=utf-8", also written "charset = utf-8" or quoted.
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmed }
            guard pair.count == 2, pair[0].lowercased() == "charset" else { continue }
            charset = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"' ")).lowercased()
        }
        return (mediaType, charset?.isEmpty == false ? charset : nil)
    }

    /// Strict UTF-8 (no overlong forms, surrogates or values past U+10FFFF), checked without making a
    /// String; runs of ASCII are skipped eight bytes at a time.
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { p in
            let n = p.count
            var i = 0
            while i < n {
                i = ASCIIScan.endOfASCII(in: p, from: i)
                guard i < n else { break }
                let b = p[i]
                let length: Int, low: UInt8, high: UInt8  // the allowed range of the second byte
                switch b {
                case 0xC2...0xDF: length = 2; low = 0x80; high = 0xBF
                case 0xE0: length = 3; low = 0xA0; high = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF: length = 3; low = 0x80; high = 0xBF
                case 0xED: length = 3; low = 0x80; high = 0x9F
                case 0xF0: length = 4; low = 0x90; high = 0xBF
                case 0xF1...0xF3: length = 4; low = 0x80; high = 0xBF
                case 0xF4: length = 4; low = 0x80; high = 0x8F
                default: return false
                }
                guard i + length <= n, (low...high).contains(p[i + 1]) else { return false }
                for k in 2..<max(2, length) where p[i + k] & 0xC0 != 0x80 { return false }
                i += length
            }
            return true
        }
    }

    /// Converts to UTF-8 with iconv; nil when the encoding is unknown or the bytes are invalid in it.
    static func convert(_ bytes: [UInt8], from encoding: String) -> [UInt8]? {
        let name = encoding.lowercased()
        if name == "utf-8" || name == "utf8" {
            return isValidUTF8(bytes) ? bytes : nil
        }
        if name == "us-ascii" || name == "ascii" {
            return bytes.allSatisfy({ $0 < 0x80 }) ? bytes : nil
        }
        let cd = iconv_open("UTF-8", name)
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        var output = [UInt8](repeating: 0, count: bytes.count * 4 + 16)
        var input = bytes
        let ok = input.withUnsafeMutableBufferPointer { inBuffer -> Int? in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int? in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress).map { $0.assumingMemoryBound(to: CChar.self) }
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                if inLeft > 0, iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft) == -1 { return nil }
                return outBuffer.count - outLeft
            }
        }
        guard let length = ok else { return nil }
        return Array(output.prefix(length))
    }
}
