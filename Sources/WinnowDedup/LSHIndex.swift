/// An in-memory LSH index with verification: what the store does in SQLite, without the I/O. Used to
/// measure the algorithm alone.
public struct LSHIndex {
    public let deduplicator: Deduplicator
    var buckets: [Int64: [Int32]] = [:]
    public private(set) var signatures: [Signature] = []

    public init(deduplicator: Deduplicator) { self.deduplicator = deduplicator }

    public var count: Int { signatures.count }

    /// All verified matches of a fingerprint among the indexed documents, best first. `shingles` gives
    /// an indexed document's shingle set for exact verification (nil: judge by the estimate).
    public func query(_ fingerprint: Fingerprint, keys: [Int64]? = nil, shingles: (Int) -> [UInt64]? = { _ in nil }) -> [Match] {
        var seen = Set<Int32>()
        var matches: [Match] = []
        for key in keys ?? deduplicator.bucketKeys(fingerprint.signature) {
            for id in buckets[key] ?? [] where seen.insert(id).inserted {
                if let m = deduplicator.verify(fingerprint, against: signatures[Int(id)], id: Int64(id), shingles: { shingles(Int(id)) }) {
                    matches.append(m)
                }
            }
        }
        return matches.sorted { Deduplicator.isBetter($0, than: $1) }
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
