import Foundation

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
}
