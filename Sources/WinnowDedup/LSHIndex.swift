/// An in-memory LSH index with verification: what the store does in SQLite, without the I/O. Used to
/// measure the algorithm alone.
public struct LSHIndex {
    public let deduplicator: Deduplicator
    var buckets = BucketChains()
    public private(set) var signatures: [Signature] = []

    public init(deduplicator: Deduplicator) { self.deduplicator = deduplicator }

    public var count: Int { signatures.count }

    /// All verified matches of a fingerprint among the indexed documents, best first. `shingles` gives
    /// an indexed document's shingle set for exact verification (nil: judge by the estimate).
    public func query(_ fingerprint: Fingerprint, keys: [Int64]? = nil, shingles: (Int) -> [UInt64]? = { _ in nil }) -> [Match] {
        var candidates: [Int64] = []
        for key in keys ?? deduplicator.bucketKeys(fingerprint.signature) { buckets.forEach(key) { candidates.append($0) } }
        var matches: [Match] = []
        var querySet: [UInt64]?
        for id in Deduplicator.sortedUnique(candidates) {
            if let m = deduplicator.verify(fingerprint, against: signatures[Int(id)], id: id, querySet: &querySet,
                                           shingles: { shingles(Int(id)) }) {
                matches.append(m)
            }
        }
        return matches.sorted { Deduplicator.isBetter($0, than: $1) }
    }

    /// Adds a document; returns its id (ids count from 0 in insertion order).
    @discardableResult
    public mutating func insert(_ signature: Signature, keys: [Int64]? = nil) -> Int {
        let id = signatures.count
        signatures.append(signature)
        for key in keys ?? deduplicator.bucketKeys(signature) { buckets.add(key, id: Int64(id)) }
        return id
    }
}

/// LSH buckets in memory: bucket key -> the ids in it. Each bucket is a chain through one shared
/// `entries` array (newest first), so a bucket costs no allocation of its own.
public struct BucketChains: Sendable {
    var heads = BucketHeads()
    var entries: [(id: Int64, next: Int32)] = []

    public init() {}

    /// Number of (key, id) rows held.
    public var count: Int { entries.count }

    public mutating func add(_ key: Int64, id: Int64) {
        entries.append((id, heads[key]))
        heads[key] = Int32(entries.count - 1)
    }

    /// Calls `body` once with each key that has a bucket.
    public func forEachKey(_ body: (Int64) -> Void) { heads.forEachKey(body) }

    /// Calls `body` with each id in the bucket, newest first.
    @inline(__always)
    public func forEach(_ key: Int64, _ body: (Int64) -> Void) {
        var entry = heads[key]
        while entry >= 0 {
            body(entries[Int(entry)].id)
            entry = entries[Int(entry)].next
        }
    }
}

/// Bucket key -> head entry, open addressing with linear probing. Bucket keys are already well-mixed
/// hashes, so their low bits index the table directly (a `Dictionary` would hash them again with
/// SipHash, and that was a fifth of the index's time).
struct BucketHeads: Sendable {
    private var keys: [Int64]
    private var values: [Int32]  // -1: empty slot
    private var mask: Int
    private(set) var count = 0

    init() {
        keys = [Int64](repeating: 0, count: 1024)
        values = [Int32](repeating: -1, count: 1024)
        mask = 1023
    }

    /// The head entry of a bucket, or -1 when the bucket is empty.
    subscript(key: Int64) -> Int32 {
        get {
            var slot = Int(truncatingIfNeeded: key) & mask
            while values[slot] >= 0 {
                if keys[slot] == key { return values[slot] }
                slot = (slot + 1) & mask
            }
            return -1
        }
        set {
            precondition(newValue >= 0, "a bucket is never emptied")
            if (count + 1) * 2 > keys.count { grow() }
            var slot = Int(truncatingIfNeeded: key) & mask
            while values[slot] >= 0 {
                if keys[slot] == key { values[slot] = newValue; return }
                slot = (slot + 1) & mask
            }
            keys[slot] = key
            values[slot] = newValue
            count += 1
        }
    }

    func forEachKey(_ body: (Int64) -> Void) {
        for slot in keys.indices where values[slot] >= 0 { body(keys[slot]) }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [Int64](repeating: 0, count: oldKeys.count * 2)
        values = [Int32](repeating: -1, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for i in oldKeys.indices where oldValues[i] >= 0 { self[oldKeys[i]] = oldValues[i] }
    }
}
