import Foundation

extension UInt8 {
    var isHexDigit: Bool { (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x46) || (self >= 0x61 && self <= 0x66) }
}


/// Relative references resolved as RFC 3986 section 5.2 says (as Python's `urljoin`, which feedparser
/// uses), against xml:base, the document URL or Content-Location.
public enum URLResolver {
    public static func resolve(_ reference: String, against base: String) -> String {
        let reference = reference.trimmed
        guard !base.isEmpty else { return reference }
        if reference.isEmpty { return base }
        if scheme(of: reference) != nil { return reference }  // already absolute
        // As urljoin: only hierarchical schemes take relative references.
        let b = Parts(base)
        guard let baseScheme = b.scheme, relativeSchemes.contains(baseScheme.lowercased()) else { return reference }
        if reference.hasPrefix("//") { return baseScheme + ":" + removeDotSegmentsInAuthorityForm(reference) }
        let r = Parts(reference)
        var path: Substring, query: Substring?
        if r.path.isEmpty {
            path = b.path
            query = r.query ?? b.query
        } else {
            query = r.query
            if r.path.hasPrefix("/") {
                path = Substring(removeDotSegments(r.path))
            } else if b.authority != nil, b.path.isEmpty {
                path = Substring(removeDotSegments("/" + r.path))
            } else {
                let directory = b.path.utf8.lastIndex(of: UInt8(ascii: "/")).map { b.path[...$0] } ?? ""
                path = Substring(removeDotSegments(directory + r.path))
            }
        }
        var out = baseScheme + ":"
        if let authority = b.authority { out += "//" + authority }
        out += path
        if let query { out += "?" + query }
        if let fragment = r.fragment { out += "#" + fragment }
        return out
    }

    static let relativeSchemes: Set<String> = ["http", "https", "ftp", "file", "gopher", "nntp", "imap", "wais", "shttp", "mms",
                                               "prospero", "rtsp", "rtspu", "sftp", "svn", "svn+ssh", "ws", "wss"]

    /// `scheme:` at the start (a letter, then letters, digits, `+`, `-`, `.`), without the colon.
    static func scheme<S: StringProtocol>(of s: S) -> Substring? where S.SubSequence == Substring {
        var count = 0
        for b in s.utf8 {
            if b == UInt8(ascii: ":") { break }
            let letter = (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z")
            guard letter || (count > 0 && ((b >= 48 && b <= 57) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: "."))) else { return nil }
            count += 1
        }
        guard count > 0, count < s.utf8.count else { return nil }
        let colon = s.utf8.index(s.startIndex, offsetBy: count)
        return s[s.startIndex..<colon]
    }

    /// A reference split into its RFC 3986 components (`scheme:` `//authority` path `?query` `#fragment`).
    struct Parts {
        var scheme: String?
        var authority: Substring?
        var path: Substring
        var query: Substring?
        var fragment: Substring?

        init(_ s: String) {
            var rest = Substring(s)
            if let hash = rest.utf8.firstIndex(of: UInt8(ascii: "#")) { fragment = rest[rest.utf8.index(after: hash)...]; rest = rest[..<hash] }
            if let mark = rest.utf8.firstIndex(of: UInt8(ascii: "?")) { query = rest[rest.utf8.index(after: mark)...]; rest = rest[..<mark] }
            if let name = URLResolver.scheme(of: rest) {
                scheme = String(name)
                rest = rest[rest.utf8.index(after: name.endIndex)...]
            }
            if rest.hasPrefix("//") {
                rest = rest.dropFirst(2)
                let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
                authority = rest[..<slash]
                rest = rest[slash...]
            }
            path = rest
        }
    }

    /// `//host/path` with the path's dot segments removed.
    static func removeDotSegmentsInAuthorityForm(_ reference: String) -> String {
        let afterSlashes = reference.index(reference.startIndex, offsetBy: 2)
        let tail = reference[afterSlashes...]
        let stop = tail.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? tail.endIndex
        guard stop < tail.endIndex, tail[stop] == "/" else { return reference }
        let pathEnd = tail[stop...].firstIndex { $0 == "?" || $0 == "#" } ?? tail.endIndex
        return "//" + tail[..<stop] + removeDotSegments(tail[stop..<pathEnd]) + tail[pathEnd...]
    }

    /// RFC 3986 5.2.4: `.` and `..` segments taken out of a path.
    static func removeDotSegments<S: StringProtocol>(_ path: S) -> String {
        // A path without a `.` or `..` segment comes out as it is (a file name's dot is no segment);
        // told apart on the bytes, as splitting by Character costs more than the whole resolve.
        guard hasDotSegment(path) else { return String(path) }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var output: [S.SubSequence] = []
        for (index, segment) in segments.enumerated() {
            let last = index == segments.count - 1
            if segment == "." {
                if last { output.append("") }
            } else if segment == ".." {
                if output.count > 1 || (output.count == 1 && !output[0].isEmpty) { output.removeLast() }
                if last { output.append("") }
            } else {
                output.append(segment)
            }
        }
        if path.hasPrefix("/"), output.first.map({ !$0.isEmpty }) ?? true { output.insert("", at: 0) }
        return output.joined(separator: "/")
    }

    /// Whether a segment of the path (between slashes) is `.` or `..`.
    static func hasDotSegment<S: StringProtocol>(_ path: S) -> Bool {
        var length = 0, dots = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                if length > 0, length == dots, dots <= 2 { return true }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length > 0 && length == dots && dots <= 2
    }

    /// Resolves href and src attributes (`href="..."`, `src='...'`, after white space, any case) in an
    /// HTML fragment.
    static func resolveHTML(_ html: String, against base: String) -> String {
        guard !base.isEmpty else { return html }
        var copy = html
        let resolved = copy.withUTF8 { bytes -> String? in
            let n = bytes.count
            var out: [UInt8] = []
            var copied = 0
            var equals = 0
            // From each "=", look back for the attribute name and forward for the quoted value.
            while let found = ASCIIScan.index(of: UInt8(ascii: "="), in: bytes, from: equals) {
                equals = found + 1
                var nameEnd = found
                while nameEnd > copied, ASCIIScan.isSpace(bytes[nameEnd - 1]) { nameEnd -= 1 }
                let nameStart: Int
                if nameEnd >= 5, ASCIIScan.hasPrefix(bytes, at: nameEnd - 4, "href") { nameStart = nameEnd - 4 }
                else if nameEnd >= 4, ASCIIScan.hasPrefix(bytes, at: nameEnd - 3, "src") { nameStart = nameEnd - 3 }
                else { continue }
                guard nameStart > copied, ASCIIScan.isSpace(bytes[nameStart - 1]) else { continue }
                var j = found + 1
                while j < n, ASCIIScan.isSpace(bytes[j]) { j += 1 }
                guard j < n, bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "'") else { continue }
                let valueStart = j + 1
                guard let valueEnd = ASCIIScan.index(of: bytes[j], in: bytes, from: valueStart) else { continue }
                let value = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
                out.append(contentsOf: bytes[copied..<valueStart])
                out.append(utf8: resolve(value, against: base))
                copied = valueEnd
                equals = valueEnd
            }
            guard copied > 0 else { return nil }
            out.append(contentsOf: bytes[copied..<n])
            return String(decoding: out, as: UTF8.self)
        }
        return resolved ?? html
    }
}
