/// The extensions feedparser reads, into its result's keys: iTunes, Media RSS, GeoRSS and GML, Podlove
/// Simple Chapters; CDF's and FeedBurner's elements are read as the core ones they stand for.
extension FeedDocumentBuilder {
    /// The core element an extension element is read as, if any.
    static func alias(_ key: String) -> String? {
        switch key.utf8.first {
        case UInt8(ascii: "m"): return key == "media_description" ? "description" : nil
        case UInt8(ascii: "a"): return key == "abstract" ? "dc_description" : nil
        case UInt8(ascii: "f"): return key == "feedburner_browserfriendly" ? "info" : nil
        default: return nil
        }
    }

    /// Reads `element` when it is one of the extensions; false when it is not.
    func handleExtension(_ element: XMLElement, key: String, into target: inout [String: FeedValue], scope: Scope, level: Level) -> Bool {
        // Every element comes through here: most are turned away on their first byte, without
        // hashing or comparing the whole key against each case.
        switch key.utf8.first {
        case UInt8(ascii: "i"): guard key.hasPrefix("itunes_") else { return false }
        case UInt8(ascii: "m"): guard key.hasPrefix("media_") else { return false }
        case UInt8(ascii: "g"): guard key.hasPrefix("georss_") || key.hasPrefix("gml_") else { return false }
        case UInt8(ascii: "p"): guard key.hasPrefix("psc_") else { return false }
        case UInt8(ascii: "w"): guard key == "where" else { return false }
        default: return false
        }
        switch key {
        case "itunes_block":
            // As written, case and white space included: only "yes" blocks.
            target[key] = .number(element.text == "yes" || element.text == "Yes" ? 1 : 0)
        case "itunes_explicit":
            switch element.text {
            case "yes", "true": target[key] = .bool(true)
            case "clean", "no", "false": target[key] = .bool(false)
            default: target[key] = .null
            }
        case "itunes_image", "itunes_link":
            guard let href = element.attribute("href") ?? element.attribute("url"), !href.isEmpty else { return true }
            target["image"] = .object(["href": .string(URLResolver.resolve(href, against: scope.base))])
        case "itunes_owner":
            setPerson(&target, "publisher", element, scope: scope)
        case "itunes_category":
            // Categories nest (Technology > Gadgets): each one is a tag.
            var stack = [element]
            while let category = stack.popLast() {
                if let text = category.attribute("text") { addTag(&target, term: text, scheme: "http://www.itunes.com/", label: nil) }
                stack += category.children.filter { self.key(of: $0) == "itunes_category" }.reversed()
            }
        case "itunes_keywords", "media_keywords":
            for word in element.text.split(separator: ",") where !word.trimmed.isEmpty {
                addTag(&target, term: word.trimmed, scheme: key == "itunes_keywords" ? "http://www.itunes.com/" : nil, label: nil)
            }
        case "media_category":
            addTag(&target, term: element.trimmedText ?? "", scheme: element.attribute("scheme") ?? "http://search.yahoo.com/mrss/category_schema",
                   label: element.attribute("label"))
        case "media_title":
            // The entry's own title wins over its media's.
            if target["title"] == nil { setText(&target, "title", element, scope: scope, defaultType: "text/plain") }
        case "media_group":
            fill(&target, from: element, scope: scope, level: level)
        case "media_rating", "media_license", "media_restriction":
            guard target[key] == nil else { return true }
            var value = Self.attributeDictionary(element)
            if let text = element.trimmedText {
                value["content"] = key == "media_restriction"
                    ? .list(text.split(separator: " ", omittingEmptySubsequences: false).map { .string($0.trimmed.lowercased()) }) : .string(text)
            }
            target[key] = .object(value)
        case "media_credit", "media_content", "media_thumbnail":
            var value = Self.attributeDictionary(element)
            if let text = element.trimmedText {
                if key == "media_credit" { value["content"] = .string(text) }
                if key == "media_thumbnail", value["url"] == nil { value["url"] = .string(text) }
            }
            target[key] = .list((target[key]?.list ?? []) + [.object(value)])
        case "media_player":
            var value = Self.attributeDictionary(element)
            value["content"] = .string(element.trimmedText ?? "")
            target[key] = .object(value)
        case "georss_point", "georss_line", "georss_polygon", "georss_box":
            target["where"] = .object(GeoRSS.geometry(key, element.text) ?? [:])
        case "where", "georss_where":
            target["where"] = .object([:])
            fill(&target, from: element, scope: scope, level: level)
        case "gml_point", "gml_linestring", "gml_polygon":
            var where_ = target["where"]?.object ?? [:]
            where_.merge(GeoRSS.gml(key, element, key: self.key(of:))) { _, new in new }
            target["where"] = .object(where_)
        case "psc_chapters":
            guard target[key] == nil else { return true }  // the first list of chapters only
            var chapters = Self.attributeDictionary(element)
            chapters["chapters"] = .list(element.children.filter { self.key(of: $0) == "psc_chapter" }.map { chapter in
                var value = Self.attributeDictionary(chapter)
                value["start_parsed"] = chapter.attribute("start").flatMap(Self.chapterStart).map(FeedValue.double) ?? .null
                return .object(value)
            })
            target[key] = .object(chapters)
        default:
            return false
        }
        return true
    }

    func key(of element: XMLElement) -> String { key(element) }

    /// CDF's channel and item carry their date and link as attributes (`LASTMOD`, `HREF`).
    func cdfAttributes(_ element: XMLElement, into target: inout [String: FeedValue], scope: Scope) {
        for (name, value) in element.attributes {
            switch name.lowercased() {
            case "lastmod":
                target["updated"] = .string(value)
                target["updated_parsed"] = FeedDate.parse(value).map(FeedValue.timeTuple) ?? .null
            case "href":
                let resolved = URLResolver.resolve(value, against: scope.base)
                target["link"] = .string(resolved)
                target["links"] = .list((target["links"]?.list ?? []) + [.object(["rel": .string("alternate"), "type": .string("text/html"), "href": .string(resolved)])])
            default:
                break
            }
        }
    }

    /// An element's attributes by lower-cased name (namespace declarations left out), as feedparser
    /// gives them.
    static func attributeDictionary(_ element: XMLElement) -> [String: FeedValue] {
        var value: [String: FeedValue] = [:]
        for (name, text) in element.attributes where name != "xmlns" && !name.hasPrefix("xmlns:") {
            let local = XMLTreeParser.split(name).local.lowercased()
            if value[local] == nil { value[local] = .string(text) }
        }
        return value
    }

    /// `[hh:]mm:ss[.mmm]` in seconds.
    static func chapterStart(_ text: String) -> Double? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let last = parts[parts.count - 1].split(separator: ".", omittingEmptySubsequences: false)
        func two(_ s: Substring) -> Int? { s.count == 2 && s.allSatisfy(\.isASCII) ? Int(s) : nil }
        guard last.count <= 2, let seconds = two(last[0]), let minutes = two(parts[parts.count - 2]) else { return nil }
        var total = Double(minutes * 60 + seconds)
        if parts.count == 3 { guard let hours = two(parts[0]) else { return nil }; total += Double(hours * 3600) }
        if last.count == 2 {
            guard last[1].count == 3, let millis = Int(last[1]), last[1].allSatisfy(\.isASCII) else { return nil }
            total += Double(millis) / 1000
        }
        return total
    }

    /// One tag, unless the same one is already there.
    func addTag(_ target: inout [String: FeedValue], term: String, scheme: String?, label: String?) {
        guard !term.isEmpty || scheme != nil || label != nil else { return }
        let tag: FeedValue = .object(["term": .string(term), "scheme": scheme.map(FeedValue.string) ?? .null, "label": label.map(FeedValue.string) ?? .null])
        var tags = target["tags"]?.list ?? []
        if !tags.contains(tag) { tags.append(tag) }
        target["tags"] = .list(tags)
    }
}
