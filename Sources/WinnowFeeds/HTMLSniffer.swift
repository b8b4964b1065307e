/// Whether text said to be plain is really HTML, by feedparser's rule: it has an end tag (`</p>`) or a
/// reference (`&amp;`, `&#38;`), every tag it has is one the sanitizer allows, and every named
/// reference is one HTML 4 defines. Markup that would be dropped anyway stays text.
enum HTMLSniffer {
    static func looksLikeHTML(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { b in
            let n = b.count
            var qualifies = false
            var i = 0
            while i < n {
                let c = b[i]
                if c == UInt8(ascii: "<") {
                    var j = i + 1
                    let closing = j < n && b[j] == UInt8(ascii: "/")
                    if closing { j += 1 }
                    let start = j
                    while j < n, ASCIIScan.isWord(b[j]) { j += 1 }
                    if j > start {
                        // `</?(\w+)`: every tag must be allowed.
                        let name = String(decoding: b[start..<j].map(ASCIIScan.lower), as: UTF8.self)
                        guard HTMLSanitizer.acceptableElements.contains(name) else { return false }
                        if closing, j < n, b[j] == UInt8(ascii: ">") { qualifies = true }
                    }
                    i = max(i + 1, j)
                    continue
                }
                if c == UInt8(ascii: "&") {
                    var j = i + 1
                    let numeric = j < n && b[j] == UInt8(ascii: "#")
                    if numeric { j += 1 }
                    let start = j
                    while j < n, ASCIIScan.isWord(b[j]) { j += 1 }
                    if j > start, j < n, b[j] == UInt8(ascii: ";") {
                        qualifies = true
                        // `&(\w+);`: every named reference must be defined.
                        if !numeric, HTMLEntities.codepoints[String(decoding: b[start..<j], as: UTF8.self)] == nil { return false }
                    }
                    i = max(i + 1, j)
                    continue
                }
                i += 1
            }
            return qualifies
        }
    }
}
