/// An element of a parsed document. Names are kept as written (`qualifiedName`) and resolved
/// (`name`: local name, lower-cased; `namespace`: the URI, "" when none).
final class XMLElement {
    let qualifiedName: String
    let name: String
    let namespace: String
    /// Attributes in document order, names as written ("href", "xml:base", "rdf:resource"), each
    /// name once. Elements have few: a search beats hashing.
    let attributes: [(name: String, value: String)]
    /// Text and child elements in document order. Most elements hold one text and nothing else: that
    /// text is kept alone, without an array.
    var content: [Node] { onlyText.map { [.text($0)] } ?? nodes }
    // The tree is built by one parser and then only read, on one thread: the run-time exclusivity
    // checks on these (a few percent of the parse of a small feed) guard against nothing here.
    @exclusivity(unchecked) private var nodes: [Node] = []
    @exclusivity(unchecked) private var onlyText: String?
    /// The child elements, kept apart from `nodes` as they are appended: the builder walks them many
    /// times, and collecting them from `nodes` on first use cost a pass and a second array anyway.
    @exclusivity(unchecked) private var childList: [XMLElement] = []
    /// The document ended inside this element (a truncated download): what it holds may be cut short.
    @exclusivity(unchecked) var cutOff = false

    enum Node {
        case text(String)
        case element(XMLElement)
    }

    init(qualifiedName: String, name: String, namespace: String, attributes: [(name: String, value: String)]) {
        self.qualifiedName = qualifiedName
        self.name = name
        self.namespace = namespace
        self.attributes = attributes
    }

    /// An attribute's value by name as written.
    func attribute(_ name: String) -> String? {
        for attribute in attributes where attribute.name == name { return attribute.value }
        return nil
    }

    /// The child elements in document order.
    var children: [XMLElement] { childList }

    func append(_ child: XMLElement) {
        // Children come with text between them: room for a few at once, not grown one by one.
        if nodes.capacity == 0 { nodes.reserveCapacity(8) }
        if let text = onlyText {
            nodes.append(.text(text))
            onlyText = nil
        }
        nodes.append(.element(child))
        if childList.capacity == 0 { childList.reserveCapacity(4) }
        childList.append(child)
    }

    /// Adds text, joined to the text before it when there is no element between.
    func append(text: String) {
        if nodes.isEmpty {
            onlyText = onlyText.map { $0 + text } ?? text
        } else if case .text(let previous)? = nodes.last {
            nodes[nodes.count - 1] = .text(previous + text)
        } else {
            nodes.append(.text(text))
        }
    }

    /// The element's own text (its text nodes, not its children's).
    var text: String {
        if let onlyText { return onlyText }
        var result = ""
        for node in nodes { if case .text(let t) = node { result += t } }
        return result
    }

    func child(_ name: String, namespace: String? = nil) -> XMLElement? {
        children.first { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    func all(_ name: String, namespace: String? = nil) -> [XMLElement] {
        children.filter { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// Trimmed text of a child element, nil when missing or empty.
    func value(_ name: String, namespace: String? = nil) -> String? {
        child(name, namespace: namespace)?.trimmedText
    }

    var trimmedText: String? {
        let t = text.trimmed
        return t.isEmpty ? nil : t
    }

    /// The content serialized back to markup (text escaped), for xhtml and inline XML content.
    /// Prefixes of the XHTML namespace are dropped, as feedparser does.
    func innerXML() -> String {
        var out = ""
        for node in content {
            switch node {
            case .text(let t): out += XMLEscape.text(t)
            case .element(let e): e.serialize(into: &out)
            }
        }
        return out
    }

    func serialize(into out: inout String) {
        // As feedparser writes inline content: prefixes dropped (`svg:circle` is `circle`), and the
        // root of inline SVG or MathML given its namespace as a default one.
        let local = XMLTreeParser.split(qualifiedName).local
        let tag = namespace == XMLNamespaces.xhtml ? name : local
        out += "<" + tag
        for (key, value) in attributes where !(namespace == XMLNamespaces.xhtml && (key == "xmlns" || key.hasPrefix("xmlns:"))) {
            out += " \(key)=\"\(XMLEscape.attribute(value))\""
        }
        if local != qualifiedName, attribute("xmlns") == nil,
           (local == "svg" && namespace == XMLNamespaces.svg) || (local == "math" && namespace == XMLNamespaces.mathML) {
            out += " xmlns=\"\(namespace)\""
        }
        if nodes.isEmpty, onlyText == nil, XMLEscape.voidElements.contains(name) || namespace != XMLNamespaces.xhtml {
            out += " />"
            return
        }
        out += ">" + innerXML() + "</\(tag)>"
    }
}

enum XMLNamespaces {
    static let xhtml = "http://www.w3.org/1999/xhtml"
    static let xml = "http://www.w3.org/XML/1998/namespace"
    static let svg = "http://www.w3.org/2000/svg"
    static let mathML = "http://www.w3.org/1998/Math/MathML"
}

enum XMLEscape {
    static let voidElements: Set<String> = ["br", "hr", "img", "input", "meta", "link", "area", "base", "col", "param", "source", "wbr"]

    static func text(_ s: String) -> String { escape(s, quotes: false) }

    static func attribute(_ s: String) -> String { escape(s, quotes: true) }

    private static func escape(_ s: String, quotes: Bool) -> String {
        func special(_ b: UInt8) -> Bool { b == UInt8(ascii: "&") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || (quotes && b == UInt8(ascii: "\"")) }
        guard s.utf8.contains(where: special) else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 16)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "&"): out.append(ascii: "&amp;")
            case UInt8(ascii: "<"): out.append(ascii: "&lt;")
            case UInt8(ascii: ">"): out.append(ascii: "&gt;")
            case UInt8(ascii: "\"") where quotes: out.append(ascii: "&quot;")
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
