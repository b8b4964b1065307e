/// Why a document could not be read as a feed.
public enum FeedError: Error, Equatable, CustomStringConvertible {
    case notXML(reason: String)
    case unknownFormat(root: String)

    public var description: String {
        switch self {
        case .notXML(let reason): return "not a feed: the document is not XML (\(reason))"
        case .unknownFormat(let root): return "not a feed: root element <\(root)> is neither RSS nor Atom"
        }
    }
}
