import Foundation

/// Links, people, dates and tags, as feedparser's handlers read them.
extension FeedDocumentBuilder {
    func addAtomLink(_ target: inout [String: FeedValue], _ element: XMLElement, scope: Scope) {
        var link = [String: FeedValue](minimumCapacity: 6)
        let rel = element.attribute("rel") ?? "alternate"
        link["rel"] = .string(rel)
        if let type = element.attribute("type") { link["type"] = .string(type) }
        link["href"] = .string(URLResolver.resolve(element.attribute("href") ?? "", against: scope.base))
        if link["type"] == nil, rel == "self" { link["type"] = .string("application/atom+xml") }
        if let title = element.attribute("title") { link["title"] = .string(title) }
        if let hreflang = element.attribute("hreflang") { link["hreflang"] = .string(hreflang) }
        if let length = element.attribute("length") { link["length"] = .string(length) }
        var links = target["links"]?.list ?? []
        links.append(.object(link))
        target["links"] = .list(links)
        if rel == "enclosure" {
            var enclosures = target["enclosures"]?.list ?? []
            enclosures.append(.object(link.filter { $0.key != "rel" }))
            target["enclosures"] = .list(enclosures)
        }
        if rel == "license", let href = link["href"] { target["license"] = href }
        // The entry's link: the first alternate, or a later one that is HTML.
        if rel == "alternate", target["link"] == nil || (link["type"]?.string ?? "text/html").contains("html") {
            target["link"] = link["href"]
        }
    }

    func person(_ element: XMLElement, scope: Scope) -> [String: FeedValue] {
        var detail: [String: FeedValue] = [:]
        for child in element.children {
            guard let text = child.trimmedText else { continue }
            switch child.name {
            case "name": detail["name"] = .string(text)
            case "email": detail["email"] = .string(text)
            case "uri", "url", "homepage": detail["href"] = .string(URLResolver.resolve(text, against: scope.entering(child).base))
            default: break
            }
        }
        if detail.isEmpty, let text = element.trimmedText { detail["name"] = .string(text) }
        return detail
    }

    func setPerson(_ target: inout [String: FeedValue], _ name: String, _ element: XMLElement, scope: Scope) {
        let detail = person(element, scope: scope)
        let display: String
        switch (detail["name"]?.string, detail["email"]?.string) {
        case let (n?, e?): display = "\(n) (\(e))"
        case let (n?, nil): display = n
        case let (nil, e?): display = e
        default: display = ""
        }
        setPerson(&target, name, display: display, detail: detail)
    }

    /// `<name>`, `<name>_detail` and, for the author, one more of `authors`.
    func setPerson(_ target: inout [String: FeedValue], _ name: String, display: String, detail: [String: FeedValue]) {
        target[name] = .string(display)
        target[name + "_detail"] = .object(detail)
        if name == "author" {
            var authors = target["authors"]?.list ?? []
            authors.append(.object(detail))
            target["authors"] = .list(authors)
        }
    }

    /// "Name (email)", "email (Name)", or either alone, as RSS writes people.
    func setPersonText(_ target: inout [String: FeedValue], _ name: String, _ text: String) {
        var detail: [String: FeedValue] = [:]
        var rest = Array(text.utf8)
        if let (start, end) = Self.emailRange(rest) {
            detail["email"] = .string(String(decoding: rest[start..<end], as: UTF8.self))
            rest.removeSubrange(start..<end)
            if let mailto = Self.firstRange(of: Array("mailto:".utf8), in: rest) { rest.removeSubrange(mailto) }
        }
        // "Name ()" and "<>" left where the address was, then the parentheses around the name.
        for pair in [(UInt8(ascii: "("), UInt8(ascii: ")")), (UInt8(ascii: "<"), UInt8(ascii: ">"))] {
            var cleaned: [UInt8] = []
            cleaned.reserveCapacity(rest.count)
            var k = 0
            while k < rest.count {
                if k + 1 < rest.count, rest[k] == pair.0, rest[k + 1] == pair.1 { k += 2; continue }
                cleaned.append(rest[k])
                k += 1
            }
            rest = cleaned
        }
        var display = String(decoding: rest, as: UTF8.self).trimmed
        if display.count >= 2, display.hasPrefix("("), display.hasSuffix(")") { display = String(display.dropFirst().dropLast()).trimmed }
        if !display.isEmpty { detail["name"] = .string(display) }
        setPerson(&target, name, display: text, detail: detail)
    }

    /// The first e-mail address (`[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+`, non-ASCII counted as word characters).
    static func emailRange(_ bytes: [UInt8]) -> (Int, Int)? {
        func isLabel(_ b: UInt8) -> Bool { ASCIIScan.isWord(b) || b == UInt8(ascii: "-") }
        for at in bytes.indices where bytes[at] == UInt8(ascii: "@") {
            var start = at
            while start > 0, isLabel(bytes[start - 1]) || bytes[start - 1] == UInt8(ascii: ".") || bytes[start - 1] == UInt8(ascii: "+") { start -= 1 }
            guard start < at else { continue }
            var end = at + 1
            while end < bytes.count, isLabel(bytes[end]) { end += 1 }
            guard end > at + 1 else { continue }
            var labels = 0
            while end + 1 < bytes.count, bytes[end] == UInt8(ascii: "."), isLabel(bytes[end + 1]) {
                end += 1
                while end < bytes.count, isLabel(bytes[end]) { end += 1 }
                labels += 1
            }
            if labels > 0 { return (start, end) }
        }
        return nil
    }

    static func firstRange(of needle: [UInt8], in bytes: [UInt8]) -> Range<Int>? {
        guard needle.count <= bytes.count else { return nil }
        for i in 0...(bytes.count - needle.count) where bytes[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
        return nil
    }

    func setDate(_ target: inout [String: FeedValue], _ name: String, _ element: XMLElement) {
        let text = element.trimmedText ?? ""
        target[name] = .string(text)
        target[name + "_parsed"] = FeedDate.parse(text).map(FeedValue.timeTuple) ?? .null
    }

    func addTags(_ target: inout [String: FeedValue], _ element: XMLElement, key: String) {
        var tags = target["tags"]?.list ?? []
        if key == "itunes_keywords" {
            for word in (element.trimmedText ?? "").split(whereSeparator: { $0 == "," || $0 == " " }) {
                tags.append(.object(["term": .string(String(word)), "scheme": .string("http://www.itunes.com/"), "label": .null]))
            }
        } else if atom || element.attribute("term") != nil || key == "itunes_category" {
            let term = element.attribute("term") ?? element.attribute("text") ?? element.trimmedText
            tags.append(.object(["term": term.map(FeedValue.string) ?? .null,
                                 "scheme": (element.attribute("scheme") ?? (key == "itunes_category" ? "http://www.itunes.com/" : nil)).map(FeedValue.string) ?? .null,
                                 "label": element.attribute("label").map(FeedValue.string) ?? .null]))
        } else {
            tags.append(.object(["term": .string(element.trimmedText ?? ""),
                                 "scheme": (element.attribute("domain")).map(FeedValue.string) ?? .null, "label": .null]))
        }
        target["tags"] = .list(tags)
        if let first = tags.first?.object?["term"], key == "category" || key == "dc_subject" { target["category"] = first }
    }
}
