import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small element tree built from XMLParser events; the format adapters read feeds from it.
final class XMLElement {
    let name: String        // local name, lowercased
    let namespace: String   // namespace URI, "" when none
    let attributes: [String: String]
    var children: [XMLElement] = []
    var text = ""

    init(name: String, namespace: String, attributes: [String: String]) {
        self.name = name
        self.namespace = namespace
        self.attributes = attributes
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
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }
}

/// Builds an `XMLElement` tree. External entities are never resolved.
final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private(set) var root: XMLElement?
    private var stack: [XMLElement] = []
    /// Guards against hostile depth: a feed never needs more than this.
    let maxDepth = 512
    private(set) var depthExceeded = false

    /// Parses `data`; returns the tree and, when the XML broke part way, the reason (what was read before the break is kept).
    static func parse(_ data: Data) throws -> (root: XMLElement, brokenReason: String?) {
        let builder = XMLTreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let ok = parser.parse()
        // XMLParser reports success on some broken documents: check parserError as well.
        if !ok || parser.parserError != nil {
            let reason = parser.parserError.map { "\($0.localizedDescription) at line \(parser.lineNumber)" } ?? "unknown XML error"
            if builder.depthExceeded { throw FeedError.notXML(reason: "elements nested deeper than \(builder.maxDepth) levels") }
            if let root = builder.root, !root.children.isEmpty { return (root, reason) }
            throw FeedError.notXML(reason: reason)
        }
        guard let root = builder.root else { throw FeedError.notXML(reason: "empty document") }
        return (root, nil)
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        guard stack.count < maxDepth else {
            depthExceeded = true
            parser.abortParsing()
            return
        }
        let element = XMLElement(name: elementName.lowercased(), namespace: namespaceURI ?? "", attributes: attributeDict)
        if let parent = stack.last { parent.children.append(element) } else if root == nil { root = element }
        stack.append(element)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = stack.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        stack.last?.text += String(decoding: CDATABlock, as: UTF8.self)
    }
}
