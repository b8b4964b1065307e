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
        entries.append((id, heads.exchange(key, head: Int32(entries.count))))
    }

    /// Calls `body` with every (key, id) row held.
    public func forEachRow(_ body: (Int64, Int64) -> Void) {
        heads.forEach { key, head in
            var entry = head
            while entry >= 0 {
                body(key, entries[Int(entry)].id)
                entry = entries[Int(entry)].next
            }
        }
    }

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
    /// A key and its head entry side by side: a lookup that misses the cache misses it once, not once
    /// for the key and again for the head.
    struct Slot {
        var key: Int64
        var head: Int32  // -1: empty slot
    }

    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0

    init() {
        slots = [Slot](repeating: Slot(key: 0, head: -1), count: 1024)
        mask = 1023
    }

    /// The head entry of a bucket, or -1 when the bucket is empty.
    subscript(key: Int64) -> Int32 {
        var slot = Int(truncatingIfNeeded: key) & mask
        while slots[slot].head >= 0 {
            if slots[slot].key == key { return slots[slot].head }
            slot = (slot + 1) & mask
        }
        return -1
    }

    /// Makes `head` the bucket's head entry and returns the one it replaces (-1 for a new bucket), in
    /// one probe.
    mutating func exchange(_ key: Int64, head: Int32) -> Int32 {
        precondition(head >= 0, "a bucket is never emptied")
        if (count + 1) * 2 > slots.count { grow() }
        var slot = Int(truncatingIfNeeded: key) & mask
        while slots[slot].head >= 0 {
            if slots[slot].key == key {
                let old = slots[slot].head
                slots[slot].head = head
                return old
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Slot(key: key, head: head)
        count += 1
        return -1
    }

    func forEach(_ body: (_ key: Int64, _ head: Int32) -> Void) {
        for slot in slots where slot.head >= 0 { body(slot.key, slot.head) }
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(key: 0, head: -1), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for slot in old where slot.head >= 0 { _ = exchange(slot.key, head: slot.head) }
    }
}
