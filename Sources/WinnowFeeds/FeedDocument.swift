import Foundation

/// A value in a feedparser-shaped result: strings, numbers, lists and dictionaries, as JSON.
public enum FeedValue: Sendable, Equatable, Encodable {
    case string(String)
    case number(Int)
    /// A decimal number (GeoRSS coordinates, PSC chapter starts in seconds).
    case double(Double)
    case bool(Bool)
    case list([FeedValue])
    case object([String: FeedValue])
    case null

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .number(let n): try container.encode(n)
        case .double(let d): try container.encode(d)
        case .bool(let b): try container.encode(b)
        case .list(let l): try container.encode(l)
        case .object(let o): try container.encode(o)
        case .null: try container.encodeNil()
        }
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var object: [String: FeedValue]? { if case .object(let o) = self { return o } else { return nil } }
    public var list: [FeedValue]? { if case .list(let l) = self { return l } else { return nil } }

    /// A date as feedparser's `*_parsed` 9-tuple (UTC): year, month, day, hour, minute, second,
    /// weekday (Monday 0), day of the year, DST flag 0.
    /// Counted in the proleptic Gregorian calendar, as Python's datetime counts.
    static func timeTuple(_ date: Date) -> FeedValue {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds.floorDivided(by: 86_400), clock = seconds - days * 86_400
        let (year, month, day) = FeedDate.civil(fromSeconds: seconds)
        let weekday = (days + 3).floorModulo(7)  // 1970-01-01 was a Thursday; Monday is 0
        let yday = days - FeedDate.daysFromCivil(year: year, month: 1, day: 1) + 1
        return .list([year, month, day, clock / 3600, clock / 60 % 60, clock % 60, weekday, yday, 0].map(FeedValue.number))
    }

    /// The date of a `*_parsed` tuple (the inverse of `timeTuple`).
    var date: Date? {
        guard case .list(let fields) = self, fields.count >= 6 else { return nil }
        let n = fields.prefix(6).compactMap { if case .number(let v) = $0 { return v } else { return nil } }
        guard n.count == 6 else { return nil }
        let seconds = FeedDate.daysFromCivil(year: n[0], month: n[1], day: n[2]) * 86_400 + n[3] * 3600 + n[4] * 60 + n[5]
        return Date(timeIntervalSince1970: Double(seconds))
    }
}

/// The feed as feedparser would give it: `bozo`, `bozo_exception`, `encoding`, `version`, `feed`,
/// `entries` (with `*_detail`, `links`, `*_parsed`...), built from the parsed tree by the rules of
/// feedparser's element handlers. `Feed`, the pipeline's model, is read from it.
public struct FeedDocument: Sendable {
    public var bozoReason: String?
    public var encoding: String
    public var version: String
    public var feed: [String: FeedValue]
    public var entries: [[String: FeedValue]]
    public var namespaces: [String: String]
    /// Indexes of entries the document ended inside (a truncated download). feedparser keeps them, and
    /// so does `entries`; the pipeline does not store them, as their text may be cut anywhere, even in
    /// the guid: the next whole download brings them complete.
    public var cutOffEntries: Set<Int> = []

    /// The whole result as one value (what `winnowctl parse-feed --json` prints).
    public var value: FeedValue {
        var result: [String: FeedValue] = [
            "bozo": .bool(bozoReason != nil), "encoding": .string(encoding), "version": .string(version),
            "feed": .object(feed), "entries": .list(entries.map(FeedValue.object)),
            "namespaces": .object(namespaces.mapValues(FeedValue.string)),
        ]
        if let bozoReason { result["bozo_exception"] = .string(bozoReason) }
        return .object(result)
    }
}

/// Builds a `FeedDocument` from a parsed tree, following feedparser's element handlers.
struct FeedDocumentBuilder {
    let atom: Bool
    let atom03: Bool
    /// HTML in text constructs is sanitized (`HTMLSanitizer`), as feedparser does; otherwise kept as
    /// received, with only its relative links resolved (what the pipeline stores).
    var sanitize = true

    /// Where an element is read: its base URI and language, inherited down the tree.
    struct Scope {
        var base: String
        var language: String?

        func entering(_ element: XMLElement) -> Scope {
            var scope = self
            if let base = element.attribute("xml:base") { scope.base = URLResolver.resolve(base, against: self.base) }
            if let lang = element.attribute("xml:lang") { scope.language = lang.isEmpty ? nil : lang }
            return scope
        }
    }

    static func build(root: XMLElement, encoding: String, problem: String?, baseURL: String, language: String?,
                      netscape: Bool = false, sanitize: Bool = true) throws -> FeedDocument {
        let rootScope = Scope(base: baseURL, language: language).entering(root)
        let version: String
        var builder: FeedDocumentBuilder
        var container: XMLElement
        var itemParent: XMLElement
        switch root.name {
        case "rss":
            let declared = root.attribute("version")?.trimmed ?? ""
            switch declared {
            case "0.90": version = "rss090"
            case "0.91": version = netscape ? "rss091n" : "rss091u"
            case "0.92": version = "rss092"
            case "0.93": version = "rss093"
            case "0.94": version = "rss094"
            default: version = declared.hasPrefix("2") ? "rss20" : "rss"
            }
            builder = FeedDocumentBuilder(atom: false, atom03: false)
            container = root.child("channel") ?? root
            itemParent = container.children.contains { $0.name == "item" } ? container : root
        case "rdf":
            let rss090 = root.attribute("xmlns") == "http://my.netscape.com/rdf/simple/0.9/"
                || root.children.contains { $0.namespace == "http://my.netscape.com/rdf/simple/0.9/" }
            version = rss090 ? "rss090" : "rss10"
            builder = FeedDocumentBuilder(atom: false, atom03: false)
            container = root.child("channel") ?? root
            itemParent = root
        case "feed":
            if root.namespace == FeedNamespaces.atom10 {
                version = "atom10"
            } else {
                switch root.attribute("version") {
                case "0.1": version = "atom01"
                case "0.2": version = "atom02"
                case "0.3": version = "atom03"
                default: version = "atom"
                }
            }
            builder = FeedDocumentBuilder(atom: true, atom03: version != "atom10")
            container = root
            itemParent = root
        case "channel":
            version = "rss"
            builder = FeedDocumentBuilder(atom: false, atom03: false)
            container = root
            itemParent = root
        default:
            throw FeedError.unknownFormat(root: root.qualifiedName)
        }
        builder.sanitize = sanitize
        let channelScope = container === root ? rootScope : rootScope.entering(container)
        // Sized for the usual count of keys: growing a dictionary rehashes all it holds.
        var feed = [String: FeedValue](minimumCapacity: 16)
        if !builder.atom { builder.cdfAttributes(container, into: &feed, scope: channelScope) }
        builder.fill(&feed, from: container, scope: channelScope, level: .feed)
        if root.name == "rdf" {
            // RSS 1.0 keeps image and textinput beside the channel.
            for element in root.children where element.name == "image" || element.name == "textinput" {
                builder.handle(element, into: &feed, scope: rootScope.entering(element), level: .feed)
            }
        }
        let itemScope = itemParent === container ? channelScope : rootScope
        // Early Atom drafts (and some generators) call entries "item".
        let items = builder.atom ? itemParent.children.filter { $0.name == "entry" || $0.name == "item" } : itemParent.all("item")
        var entries = items.map { builder.entry($0, scope: itemScope) }
        var elements = items
        if !builder.atom, itemParent !== root {
            // Items outside the channel, as some 0.9x feeds have.
            let outside = root.all("item")
            entries += outside.map { builder.entry($0, scope: rootScope) }
            elements += outside
        }
        if feed["language"] == nil, let language = channelScope.language { feed["language"] = .string(language) }
        var namespaces: [String: String] = [:]
        for (key, value) in root.attributes where key.hasPrefix("xmlns") {
            namespaces[key == "xmlns" ? "" : String(key.dropFirst(6))] = value
        }
        var document = FeedDocument(bozoReason: problem, encoding: encoding, version: version, feed: feed, entries: entries, namespaces: namespaces)
        // Only a truncated download has any: the others build no set.
        if elements.contains(where: { $0.cutOff }) { document.cutOffEntries = Set(elements.indices.filter { elements[$0].cutOff }) }
        return document
    }

    enum Level { case feed, entry, source, image, textinput }

    func fill(_ target: inout [String: FeedValue], from parent: XMLElement, scope: Scope, level: Level) {
        for element in parent.children {
            handle(element, into: &target, scope: scope.entering(element), level: level)
        }
    }

    /// The key feedparser gives an element: its local name, prefixed with its namespace's prefix.
    func key(_ element: XMLElement) -> String {
        if element.namespace.isEmpty, !element.qualifiedName.utf8.contains(UInt8(ascii: ":")) { return element.name }  // no namespace, no prefix
        // Atom 1.0's elements, most of an Atom feed's, are matched on their bytes rather than hashed.
        if element.namespace == FeedNamespaces.atom10 { return element.name }
        // By URI, whatever the prefix; a URI written in another case (".../Podcast-1.0.dtd") still counts.
        let prefix = FeedNamespaces.prefixes[element.namespace] ?? FeedNamespaces.lowercasedPrefixes[element.namespace.lowercased()]
            ?? (element.namespace.contains("backend.userland.com/rss") ? "" : nil)  // any of UserLand's RSS namespaces
            ?? XMLTreeParser.split(element.qualifiedName).prefix?.lowercased() ?? ""
        return prefix.isEmpty ? element.name : prefix + "_" + element.name
    }

    func handle(_ element: XMLElement, into target: inout [String: FeedValue], scope: Scope, level: Level) {
        let own = key(element)
        // Extension elements feedparser reads as core ones (Media RSS's description, CDF's abstract...).
        let key = Self.alias(own) ?? own
        if handleExtension(element, key: key, into: &target, scope: scope, level: level) { return }
        switch key {
        case "item", "items", "rdf_seq",
             "entry" where level == .feed:  // entries are read on their own
            return
        case "title", "dc_title":
            setText(&target, "title", element, scope: scope, defaultType: "text/plain")
        case "description" where level == .entry && target["summary"] != nil && target["content"] == nil,
             "summary" where level == .entry && target["summary"] != nil && target["content"] == nil:
            // A second summary before any content element is the content.
            let (_, detail) = text(element, scope: scope, defaultType: "text/html")
            var list = target["content"]?.list ?? []
            list.append(.object(detail))
            target["content"] = .list(list)
        case "description":
            let name = level == .entry ? "summary" : (level == .feed || level == .source ? "subtitle" : "description")
            setText(&target, name, element, scope: scope, defaultType: "text/html")
        case "dc_description":
            setText(&target, level == .entry ? "summary" : "subtitle", element, scope: scope, defaultType: "text/plain")
        case "subtitle", "tagline",
             "itunes_subtitle" where target["subtitle"] == nil:
            setText(&target, "subtitle", element, scope: scope, defaultType: "text/plain")
        case "summary",
             "itunes_summary" where target["summary"] == nil:
            setText(&target, "summary", element, scope: scope, defaultType: "text/plain")
        case "info":
            setText(&target, "info", element, scope: scope, defaultType: "text/plain")
        case "rights", "copyright", "dc_rights":
            setText(&target, "rights", element, scope: scope, defaultType: "text/plain")
        case "content", "content_encoded", "xhtml_body", "body", "fullitem":
            var (value, detail) = text(element, scope: scope, defaultType: key == "content" ? "text/plain" : (key == "xhtml_body" || key == "body" ? "application/xhtml+xml" : "text/html"))
            if let src = element.attribute("src"), !src.isEmpty { detail["src"] = .string(src) }
            var list = target["content"]?.list ?? []
            list.append(.object(detail))
            target["content"] = .list(list)
            // Text or HTML content stands in for a missing summary, as in feedparser.
            if target["summary"] == nil, ["text/plain", "text/html", "application/xhtml+xml"].contains(detail["type"]?.string ?? "") {
                target["summary"] = .string(value)
            }
        case "link" where atom || element.attribute("href") != nil:
            addAtomLink(&target, element, scope: scope)
        case "link":
            guard let href = element.trimmedText else { return }
            let resolved = URLResolver.resolve(href, against: scope.base)
            if level == .image || level == .textinput { target["link"] = .string(resolved); target["href"] = target["href"] ?? .string(resolved); return }
            target["link"] = .string(resolved)
            var links = target["links"]?.list ?? []
            links.append(.object(["rel": .string("alternate"), "type": .string("text/html"), "href": .string(resolved)]))
            target["links"] = .list(links)
        case "id", "guid":
            var value = element.trimmedText ?? ""
            if atom, !value.isEmpty { value = URLResolver.resolve(value, against: scope.base) }
            target["id"] = .string(value)
            if key == "guid" {
                let permalink = (element.attribute("isPermaLink") ?? "true").lowercased() == "true"
                target["guidislink"] = .bool(permalink && target["link"] == nil)
                if permalink, target["link"] == nil, !value.isEmpty { target["link"] = .string(URLResolver.resolve(value, against: scope.base)) }
            }
        case "author", "managingeditor", "dc_creator", "itunes_author", "dc_author":
            if atom || !element.children.isEmpty {
                setPerson(&target, "author", element, scope: scope)
            } else if let text = element.trimmedText {
                if key == "itunes_author", target["author"] != nil { return }
                setPersonText(&target, "author", text)
            }
        case "webmaster", "dc_publisher", "publisher":
            if !element.children.isEmpty { setPerson(&target, "publisher", element, scope: scope) }
            else if let text = element.trimmedText { setPersonText(&target, "publisher", text) }
        case "contributor", "dc_contributor":
            var people = target["contributors"]?.list ?? []
            if !element.children.isEmpty {
                people.append(.object(person(element, scope: scope)))
            } else if let text = element.trimmedText {
                people.append(.object(["name": .string(text)]))
            }
            target["contributors"] = .list(people)
        case "pubdate", "issued", "published", "dcterms_issued":
            setDate(&target, "published", element)
        case "lastbuilddate", "updated", "modified", "dc_date", "dcterms_modified":
            setDate(&target, "updated", element)
        case "created", "dcterms_created":
            setDate(&target, "created", element)
        case "expirationdate":
            setDate(&target, "expired", element)
        case "dcterms_valid":
            let text = element.trimmedText ?? ""
            for part in text.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmed }
                guard pair.count == 2, pair[0] == "start" || pair[0] == "end" else { continue }
                target["validity_" + pair[0]] = .string(pair[1])
                if let date = FeedDate.parse(pair[1]) { target["validity_\(pair[0])_parsed"] = FeedValue.timeTuple(date) }
            }
        case "category", "dc_subject", "itunes_category", "itunes_keywords":
            addTags(&target, element, key: key)
        case "enclosure":
            var enclosure: [String: FeedValue] = ["rel": .string("enclosure")]
            if let url = element.attribute("url") ?? element.attribute("href") { enclosure["href"] = .string(URLResolver.resolve(url, against: scope.base)) }
            if let length = element.attribute("length") { enclosure["length"] = .string(length) }
            if let type = element.attribute("type") { enclosure["type"] = .string(type) }
            var links = target["links"]?.list ?? []
            links.append(.object(enclosure))
            target["links"] = .list(links)
            var enclosures = target["enclosures"]?.list ?? []
            enclosures.append(.object(enclosure.filter { $0.key != "rel" }))
            target["enclosures"] = .list(enclosures)
        case "comments":
            target["comments"] = .string(URLResolver.resolve(element.trimmedText ?? "", against: scope.base))
        case "generator":
            let name = element.trimmedText ?? ""
            target["generator"] = .string(name)
            var detail: [String: FeedValue] = ["name": .string(name)]
            if let uri = element.attribute("uri") ?? element.attribute("url") { detail["href"] = .string(URLResolver.resolve(uri, against: scope.base)) }
            if let version = element.attribute("version") { detail["version"] = .string(version) }
            target["generator_detail"] = .object(detail)
        case "admin_generatoragent":
            if let resource = element.attribute("rdf:resource") {
                target["generator"] = .string(resource)
                target["generator_detail"] = .object(["href": .string(resource)])
            }
        case "language", "dc_language":
            if let text = element.trimmedText { target["language"] = .string(text) }
        case "image" where level == .feed, "textinput" where level == .feed, "ti_textinput" where level == .feed:
            var inner: [String: FeedValue] = [:]
            let innerLevel: Level = key == "image" ? .image : .textinput
            fill(&inner, from: element, scope: scope, level: innerLevel)
            let name = key == "image" ? "image" : "textinput"
            if let existing = target[name]?.object { inner.merge(existing) { new, _ in new } }
            target[name] = .object(inner)
        case "url" where level == .image:
            if let text = element.trimmedText { target["url"] = .string(URLResolver.resolve(text, against: scope.base)); target["href"] = target["url"] }
        case "width" where level == .image, "height" where level == .image:
            if let value = element.trimmedText.flatMap({ Int($0) }) { target[key] = .number(value) }
        case "name" where level == .textinput:
            if let text = element.trimmedText { target["name"] = .string(text) }
        case "source":
            var source: [String: FeedValue] = [:]
            if atom { fill(&source, from: element, scope: scope, level: .source) } else {
                if let url = element.attribute("url") { source["href"] = .string(URLResolver.resolve(url, against: scope.base)) }
                if let text = element.trimmedText { source["title"] = .string(text) }
            }
            target["source"] = .object(source)
        case "logo", "icon":
            if let text = element.trimmedText { target[key] = .string(URLResolver.resolve(text, against: scope.base)) }
        case "ttl":
            if let text = element.trimmedText { target["ttl"] = .string(text) }
        case "skiphours" where level == .feed, "skipdays" where level == .feed:  // names are read lowercased
            // Beyond feedparser's result (it drops them): hours and days the publisher asks not to be polled.
            target[key] = .list(element.children.compactMap { $0.trimmedText.map(FeedValue.string) })
        case "cloud":
            target["cloud"] = .object(Dictionary(element.attributes.map { ($0.name.lowercased(), FeedValue.string($0.value)) }) { a, _ in a })
        case "cc_license", "creativeCommons_license":
            guard let href = element.attribute("rdf:resource") ?? element.trimmedText else { return }
            var links = target["links"]?.list ?? []
            links.append(.object(["rel": .string("license"), "href": .string(href)]))
            target["links"] = .list(links)
            target["license"] = .string(href)
        case "wfw_comment", "wfw_commentrss", "docs":
            if let text = element.trimmedText { target[key] = .string(URLResolver.resolve(text, against: scope.base)) }
        default:
            // An element of its own with attributes is kept as their dictionary, as feedparser keeps it.
            if element.attributes.contains(where: { $0.name != "xmlns" && !$0.name.hasPrefix("xmlns:") }) {
                target[key] = .object(Dictionary(element.attributes.filter { $0.name != "xmlns" && !$0.name.hasPrefix("xmlns:") }
                    .map { ($0.name.lowercased(), FeedValue.string($0.value)) }) { first, _ in first })
                return
            }
            if !element.children.isEmpty || target[key] != nil { return }
            target[key] = .string(element.trimmedText ?? "")
        }
    }

    func entry(_ item: XMLElement, scope: Scope) -> [String: FeedValue] {
        var entry = [String: FeedValue](minimumCapacity: 16)
        if let about = item.attribute("rdf:about") { entry["id"] = .string(about) }
        let itemScope = scope.entering(item)
        if !atom { cdfAttributes(item, into: &entry, scope: itemScope) }
        fill(&entry, from: item, scope: itemScope, level: .entry)
        finishEntry(&entry)
        return entry
    }

    func finishEntry(_ entry: inout [String: FeedValue]) {
        if entry["id"] == nil, let link = entry["link"]?.string { entry["id"] = .string(link) }
        if entry["guidislink"] == nil { entry["guidislink"] = .bool(false) }
    }

    // MARK: Text constructs

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

    // MARK: Links, people, dates, tags

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
