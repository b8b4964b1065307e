import Dispatch

/// A batch's fingerprints and bucket keys, computed on a worker thread slice by slice while the
/// transaction consumes the slices before it. Each slice is written once by the worker and read only
/// after its semaphore is signalled.
final class FingerprintSlices: @unchecked Sendable {
    struct Prepared {
        var fingerprint: Fingerprint?
        var keys: [Int64]
    }

    let slices: [Range<Int>]
    private let prepared: UnsafeMutableBufferPointer<[Prepared]>  // not an Array: the worker writes while the reader reads
    private let ready: [DispatchSemaphore]

    init(_ articles: [CleanArticle], with dedup: Deduplicator, sliceSize: Int = 50) {
        slices = stride(from: 0, to: articles.count, by: sliceSize).map { $0..<min($0 + sliceSize, articles.count) }
        prepared = .allocate(capacity: slices.count)
        prepared.initialize(repeating: [])
        ready = slices.map { _ in DispatchSemaphore(value: 0) }
        let texts = articles.map { $0.text }
        DispatchQueue.global().async { [self] in
            for (index, slice) in slices.enumerated() {
                prepared[index] = slice.map { i in
                    let fingerprint = dedup.fingerprint(of: texts[i])
                    return Prepared(fingerprint: fingerprint, keys: fingerprint.map { dedup.bucketKeys($0.signature) } ?? [])
                }
                ready[index].signal()
            }
        }
    }

    deinit {  // the worker holds `self` until it is done
        prepared.deinitialize()
        prepared.deallocate()
    }

    /// The slice's fingerprints, once the worker has made them. Repeatable (a store may run a batch's
    /// transaction again): the slice stays ready.
    func wait(_ slice: Int) -> [Prepared] {
        ready[slice].wait()
        ready[slice].signal()
        return prepared[slice]
    }
}
