import Foundation

/// Text constructs: titles, summaries, content, rights; typed, decoded and sanitized.
extension FeedDocumentBuilder {
    func setText(_ target: inout [String: FeedValue], _ name: String, _ element: XMLElement, scope: Scope, defaultType: String) {
        let (value, detail) = text(element, scope: scope, defaultType: defaultType)
        target[name] = .string(value)
        target[name + "_detail"] = .object(detail)
    }

    /// Value and detail of a text construct, type-aware: Atom `type` (text, html, xhtml or a MIME type)
    /// and 0.3 `mode` (xml, escaped, base64); inline XHTML serialized; HTML's relative URIs resolved.
    func text(_ element: XMLElement, scope: Scope, defaultType: String) -> (String, [String: FeedValue]) {
        var type = (element.attribute("type").flatMap { $0.isEmpty ? nil : $0 } ?? defaultType).lowercased()
        switch type {
        case "text", "plain": type = "text/plain"
        case "html": type = "text/html"
        case "xhtml": type = "application/xhtml+xml"
        default: break
        }
        let mode = element.attribute("mode")?.lowercased()
        // Atom 1.0: a MIME type that is neither text nor XML means base64.
        let base64 = mode == "base64" || (atom && !atom03 && !type.hasPrefix("text/") && !type.hasSuffix("xml") && type != "application/xhtml+xml")
        var value: String
        if atom, type == "text/html", element.children.count == 1, element.children[0].name == "div", element.children[0].children.isEmpty,
           element.trimmedText == nil {
            // HTML wrapped in a div element (TypePad's way): the div is dropped, its text is the HTML.
            value = element.children[0].text
        } else if type == "application/xhtml+xml" || ((mode == nil || mode == "xml") && !element.children.isEmpty && atom) {
            // Atom 1.0's XHTML wraps the content in a div that is not part of it.
            let strip = (element.attribute("type") == "xhtml" || (atom && !atom03 && type == "application/xhtml+xml"))
                && element.children.count == 1 && element.children[0].name == "div" && element.trimmedText == nil
            value = strip ? element.children[0].innerXML() : element.innerXML()
            if type == "text/plain" { type = "application/xhtml+xml" }
        } else if base64, let data = Data(base64Encoded: element.text.trimmed, options: .ignoreUnknownCharacters) {
            value = String(decoding: data, as: UTF8.self)
        } else if !element.children.isEmpty {
            value = element.innerXML()
            if type == "text/plain" { type = "text/html" }
        } else {
            value = element.text
        }
        value = value.trimmed
        if type == "text/plain", !atom || defaultType != "text/plain", HTMLSniffer.looksLikeHTML(value) { type = "text/html" }
        if type == "text/html" || type == "application/xhtml+xml" {
            value = sanitize ? HTMLSanitizer.sanitize(value, baseURL: scope.base, xhtml: type == "application/xhtml+xml")
                : URLResolver.resolveHTML(value, against: scope.base)
        }
        // One literal: a dictionary built of three and grown to four would be hashed twice.
        let detail: [String: FeedValue] = ["type": .string(type), "value": .string(value), "base": .string(scope.base),
                                           "language": scope.language.map(FeedValue.string) ?? .null]
        return (value, detail)
    }
}
