/// An in-memory LSH index with verification: what the store does in SQLite, without the I/O. Used to
/// measure the algorithm alone.
public struct LSHIndex {
    public let deduplicator: Deduplicator
    /// Bucket key -> the newest entry of its chain; `entries` holds (document, next entry) pairs, so a
    /// bucket costs no allocation of its own.
    var heads: [Int64: Int32] = [:]
    var entries: [(id: Int32, next: Int32)] = []
    public private(set) var signatures: [Signature] = []

    public init(deduplicator: Deduplicator) { self.deduplicator = deduplicator }

    public var count: Int { signatures.count }

    /// All verified matches of a fingerprint among the indexed documents, best first. `shingles` gives
    /// an indexed document's shingle set for exact verification (nil: judge by the estimate).
    public func query(_ fingerprint: Fingerprint, keys: [Int64]? = nil, shingles: (Int) -> [UInt64]? = { _ in nil }) -> [Match] {
        var seen = Set<Int32>()
        var matches: [Match] = []
        var querySet: [UInt64]?
        for key in keys ?? deduplicator.bucketKeys(fingerprint.signature) {
            var entry = heads[key] ?? -1
            while entry >= 0 {
                let id = entries[Int(entry)].id
                entry = entries[Int(entry)].next
                guard seen.insert(id).inserted else { continue }
                if let m = deduplicator.verify(fingerprint, against: signatures[Int(id)], id: Int64(id), querySet: &querySet,
                                               shingles: { shingles(Int(id)) }) {
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
        for key in keys ?? deduplicator.bucketKeys(signature) {
            entries.append((id, heads[key] ?? -1))
            heads[key] = Int32(entries.count - 1)
        }
        return Int(id)
    }
}
