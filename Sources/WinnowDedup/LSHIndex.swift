/// An in-memory LSH index with verification: what the store does in SQLite, without the I/O. Used to
/// measure the algorithm alone and by tools that dedup a batch of documents.
public struct LSHIndex {
    public let deduplicator: Deduplicator
    var buckets: [Int64: [Int32]] = [:]
    public private(set) var signatures: [Signature] = []

    public init(deduplicator: Deduplicator) { self.deduplicator = deduplicator }

    public var count: Int { signatures.count }

    /// All verified matches of `signature` among the indexed documents, best first.
    public func query(_ signature: Signature, keys: [Int64]? = nil) -> [Match] {
        var seen = Set<Int32>()
        var matches: [Match] = []
        for key in keys ?? deduplicator.bucketKeys(signature) {
            for id in buckets[key] ?? [] where seen.insert(id).inserted {
                if let m = deduplicator.verify(signature, against: signatures[Int(id)], id: Int64(id)) { matches.append(m) }
            }
        }
        return matches.sorted { ($0.kind == .resemblance ? 1 : 0, $0.similarity) > ($1.kind == .resemblance ? 1 : 0, $1.similarity) }
    }

    /// Adds a document; returns its id (ids count from 0 in insertion order).
    @discardableResult
    public mutating func insert(_ signature: Signature, keys: [Int64]? = nil) -> Int {
        let id = Int32(signatures.count)
        signatures.append(signature)
        for key in keys ?? deduplicator.bucketKeys(signature) { buckets[key, default: []].append(id) }
        return Int(id)
    }
}
