import Foundation

/// JSON Feed 1.0 and 1.1 into the same feedparser-shaped document. Values of the wrong type are
/// ignored (the key is absent), strings are trimmed, and HTML in text fields stays text.
enum JSONFeed {
    static func document(_ bytes: [UInt8]) throws -> FeedDocument {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? [String: Any] else {
            throw FeedError.notXML(reason: "a JSON document that is not a JSON Feed object")
        }
        var feed = [String: FeedValue](minimumCapacity: 16)
        let versionString = (object["version"] as? String)?.trimmed
        let version = versionString == "https://jsonfeed.org/version/1" ? "json1" : versionString == "https://jsonfeed.org/version/1.1" ? "json11" : "json"
        let title = string(object["title"])
        if let title { setText(&feed, "title", title) }
        var links: [FeedValue] = []
        if let home = string(object["home_page_url"]) {
            feed["link"] = .string(home)
            links.append(.object(["rel": .string("alternate"), "href": .string(home)]))
        }
        if let url = string(object["feed_url"]) {
            feed["id"] = .string(url)
            var link: [String: FeedValue] = ["rel": .string("self"), "href": .string(url)]
            if let title { link["title"] = .string(title) }
            links.append(.object(link))
        }
        if let next = string(object["next_url"]) { links.append(.object(["rel": .string("next"), "href": .string(next)])) }
        if !links.isEmpty { feed["links"] = .list(links) }
        if let description = string(object["description"]) { setText(&feed, "subtitle", description) }
        if let comment = string(object["user_comment"]) { setText(&feed, "info", comment) }
        if let icon = string(object["icon"]) { feed["image"] = .object(["href": .string(icon)]) }
        if let favicon = string(object["favicon"]) { feed["icon"] = .string(favicon) }
        if object.keys.contains("expired") { feed["expired"] = .bool((object["expired"] as? NSNumber).map { isBool($0) && $0.boolValue } ?? false) }
        if let hubs = object["hubs"] {
            feed["hubs"] = .list((hubs as? [Any] ?? []).compactMap { hub in
                guard let hub = hub as? [String: Any], let url = string(hub["url"]), let type = string(hub["type"]) else { return nil }
                return .object(["url": .string(url), "type": .string(type)])
            })
        }
        if let language = string(object["language"]) { feed["language"] = .string(language) }
        setAuthors(&feed, object)
        let entries = (object["items"] as? [Any] ?? []).compactMap { entry($0) }
        return FeedDocument(bozoReason: nil, encoding: "utf-8", version: version, feed: feed, entries: entries, namespaces: [:])
    }

    static func entry(_ value: Any) -> [String: FeedValue]? {
        guard let item = value as? [String: Any] else { return nil }
        var entry = [String: FeedValue](minimumCapacity: 16)
        if let id = item["id"] {
            guard let text = scalarString(id) else { return nil }
            entry["id"] = .string(text.trimmed)
        }
        let title = string(item["title"])
        if let title { setText(&entry, "title", title) }
        if let url = string(item["url"]) {
            entry["link"] = .string(url)
            var link: [String: FeedValue] = ["rel": .string("self"), "href": .string(url)]
            if let title { link["title"] = .string(title) }
            entry["links"] = .list([.object(link)])
        }
        if let external = string(item["external_url"]) {
            var links = entry["links"]?.list ?? []
            links.append(.object(["rel": .string("related"), "href": .string(external)]))
            entry["links"] = .list(links)
        }
        var content: [FeedValue] = []
        if let html = string(item["content_html"]) { content.append(.object(["type": .string("text/html"), "value": .string(html)])) }
        if let text = string(item["content_text"]) { content.append(.object(["type": .string("text/plain"), "value": .string(text)])) }
        if !content.isEmpty { entry["content"] = .list(content) }
        if let summary = string(item["summary"]) { setText(&entry, "summary", summary) }
        if let image = string(item["image"]) { entry["image"] = .object(["href": .string(image)]) }
        for (key, name) in [("date_published", "published"), ("date_modified", "updated")] {
            if let date = string(item[key]) {
                entry[name] = .string(date)
                entry[name + "_parsed"] = FeedDate.parse(date).map(FeedValue.timeTuple) ?? .null
            }
        }
        if let tags = item["tags"] as? [Any] {
            entry["tags"] = .list(tags.compactMap { string($0) }.map { .object(["term": .string($0), "scheme": .null, "label": .null]) })
        }
        if let attachments = item["attachments"] as? [Any] {
            entry["enclosures"] = .list(attachments.compactMap { value in
                guard let a = value as? [String: Any], let url = string(a["url"]) else { return nil }
                var enclosure: [String: FeedValue] = ["href": .string(url)]
                if let type = string(a["mime_type"]) { enclosure["type"] = .string(type) }
                if let length = a["size_in_bytes"] as? NSNumber { enclosure["length"] = .string(length.stringValue) }
                return .object(enclosure)
            })
        }
        if let language = string(item["language"]) { entry["language"] = .string(language) }
        setAuthors(&entry, item)
        entry["guidislink"] = .bool(false)
        return entry
    }

    static func setText(_ target: inout [String: FeedValue], _ key: String, _ value: String) {
        target[key] = .string(value)
        target[key + "_detail"] = .object(["type": .string("text/plain"), "value": .string(value)])
    }

    /// `author` (1.0) or `authors` (1.1): name, url (a mailto: URL gives the email), avatar.
    static func setAuthors(_ target: inout [String: FeedValue], _ object: [String: Any]) {
        var people: [[String: Any]] = []
        if let authors = object["authors"] as? [Any] { people = authors.compactMap { $0 as? [String: Any] } }
        else if let author = object["author"] as? [String: Any] { people = [author] }
        let details: [[String: FeedValue]] = people.compactMap { person in
            var detail: [String: FeedValue] = [:]
            let name = string(person["name"])
            if let name { detail["name"] = .string(name) }
            if let url = string(person["url"]) {
                if url.lowercased().hasPrefix("mailto:") {
                    let address = String(url.dropFirst(7).prefix { $0 != "?" })
                    detail["email"] = .string(address)
                    if name != nil { detail["href"] = .string(url) }
                } else {
                    detail["href"] = .string(url)
                }
            }
            if let avatar = string(person["avatar"]) { detail["image"] = .string(avatar) }
            return detail.isEmpty ? nil : detail
        }
        guard let first = details.first else { return }
        target["author_detail"] = .object(first)
        target["authors"] = .list(details.map(FeedValue.object))
        if let display = first["name"] ?? first["email"] ?? first["href"] ?? first["image"] { target["author"] = display }
    }

    static func string(_ value: Any?) -> String? {
        guard let s = value as? String else { return nil }
        return s.trimmed
    }

    /// JSON true and false arrive as NSNumber; their type code tells them from 1 and 0.
    static func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" || String(cString: n.objCType) == "B" }

    /// An id as Python's `str()` writes a JSON scalar (true, 1, 200.0, null); nil for objects and lists.
    static func scalarString(_ value: Any) -> String? {
        switch value {
        case is NSNull: return "null"
        case let s as String: return s
        case let n as NSNumber:
            if isBool(n) { return n.boolValue ? "true" : "false" }
            if ["d", "f"].contains(String(cString: n.objCType)) { return String(describing: n.doubleValue) }
            return n.stringValue
        default: return nil
        }
    }
}
