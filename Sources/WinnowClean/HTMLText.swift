import Foundation

/// Turns HTML into paragraphs of text: block elements break paragraphs, scripts and styles vanish,
/// entities are decoded. Elements that are never article text (navigation, forms, captions) are
/// dropped and reported, so the cleaner can record why that text went.
public struct HTMLText: Sendable {
    public struct Dropped: Sendable, Equatable {
        public var element: String
        public var text: String
    }

    public var paragraphs: [String] = []
    public var dropped: [Dropped] = []
    public var title: String?
    public var author: String?

    static let blockElements: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "td", "th",
        "section", "article", "main", "pre", "hr", "dd", "dt", "table", "body", "html",
    ]
    /// Whose content is never text at all.
    static let invisibleElements: Set<String> = ["script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"]
    /// Whose text is not the article; dropped with a record.
    static let boilerplateElements: Set<String> = ["nav", "footer", "aside", "form", "figcaption", "button", "header"]

    /// True when the text looks like HTML rather than plain text.
    public static func looksLikeHTML(_ text: String) -> Bool {
        let head = text.prefix(4096).lowercased()
        return ["<html", "<!doctype html", "<p>", "<p ", "<div", "<br", "<body", "<article"].contains { head.contains($0) }
    }

    public init(html: String) {
        var current = ""
        var skipDepth = 0          // inside an invisible element
        var dropStack: [(name: String, text: String)] = []
        var inTitle = false
        var titleText = ""
        var index = html.startIndex

        func breakParagraph() {
            let text = HTMLText.decodeEntities(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { paragraphs.append(text) }
            current = ""
        }

        while index < html.endIndex {
            let c = html[index]
            guard c == "<" else {
                let next = html[index...].firstIndex(of: "<") ?? html.endIndex
                let chunk = html[index..<next]
                if inTitle { titleText += chunk }
                else if skipDepth == 0 {
                    if dropStack.isEmpty { current += chunk } else { dropStack[dropStack.count - 1].text += chunk }
                }
                index = next
                continue
            }
            // Comments and doctype/CDATA declarations.
            if html[index...].hasPrefix("<!--") {
                index = html.range(of: "-->", range: index..<html.endIndex)?.upperBound ?? html.endIndex
                continue
            }
            guard let close = html[index...].firstIndex(of: ">") else { break }
            let tag = html[html.index(after: index)..<close]
            index = html.index(after: close)
            let isEnd = tag.first == "/"
            let nameChars = tag.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter || $0.isNumber })
            let name = nameChars.lowercased()
            guard !name.isEmpty else { continue }

            if name == "title" { inTitle = !isEnd; continue }
            if name == "meta", !isEnd { readMeta(String(tag)); continue }
            if HTMLText.invisibleElements.contains(name) {
                if tag.hasSuffix("/") { continue }
                skipDepth = max(0, skipDepth + (isEnd ? -1 : 1))
                // Raw text elements: jump straight to their end tag; their content may hold '<'.
                if !isEnd, name == "script" || name == "style",
                   let end = html.range(of: "</\(name)", options: .caseInsensitive, range: index..<html.endIndex) {
                    index = end.lowerBound
                }
                continue
            }
            if skipDepth > 0 { continue }
            if HTMLText.boilerplateElements.contains(name) {
                if isEnd {
                    if let open = dropStack.lastIndex(where: { $0.name == name }) {
                        let closed = dropStack.remove(at: open)
                        let text = HTMLText.decodeEntities(closed.text)
                            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
                        if !text.isEmpty { dropped.append(Dropped(element: name, text: text)) }
                    }
                } else {
                    breakParagraph()
                    dropStack.append((name, ""))
                }
                continue
            }
            if HTMLText.blockElements.contains(name) {
                if dropStack.isEmpty { breakParagraph() } else { dropStack[dropStack.count - 1].text += " " }
            }
        }
        breakParagraph()
        let t = HTMLText.decodeEntities(titleText).trimmingCharacters(in: .whitespacesAndNewlines)
        if title == nil, !t.isEmpty { title = t }
    }

    private mutating func readMeta(_ tag: String) {
        func attribute(_ name: String) -> String? {
            guard let range = tag.range(of: "\(name)=", options: .caseInsensitive) else { return nil }
            var rest = tag[range.upperBound...]
            guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
            rest = rest.dropFirst()
            return String(rest.prefix(while: { $0 != quote }))
        }
        let key = (attribute("property") ?? attribute("name"))?.lowercased()
        guard let content = attribute("content").map(HTMLText.decodeEntities), !content.isEmpty else { return }
        switch key {
        case "og:title": title = content
        case "author", "article:author": if author == nil { author = content }
        default: break
        }
    }

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–",
        "hellip": "…", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "copy": "©", "reg": "®",
        "trade": "™", "shy": "\u{00AD}", "laquo": "«", "raquo": "»", "middot": "·", "bull": "•", "eacute": "é",
        "egrave": "è", "aacute": "á", "agrave": "à", "ouml": "ö", "uuml": "ü", "auml": "ä", "szlig": "ß",
    ]

    /// Decodes named and numeric character references; unknown ones stay as written.
    public static func decodeEntities(_ text: some StringProtocol) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let name = after[..<semi]
                var decoded: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    decoded = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if name.hasPrefix("#") {
                    decoded = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                } else {
                    decoded = namedEntities[String(name)]
                }
                if let decoded {
                    out += decoded
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }
}
