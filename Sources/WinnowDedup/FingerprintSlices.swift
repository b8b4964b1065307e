import Dispatch

/// A batch's fingerprints and bucket keys, computed on worker threads slice by slice while the
/// transaction consumes the slices before it. Each slice is written once by its worker and read only
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
        // Two workers take alternate slices: with nothing else to do (a batch's last dedup, a reprocess)
        // the transaction waited on a single one; beside cleaning, each gets what the scheduler gives.
        for worker in 0..<min(2, slices.count) {
            DispatchQueue.global().async { [self] in
                for index in stride(from: worker, to: slices.count, by: 2) {
                    prepared[index] = slices[index].map { i in
                        let fingerprint = dedup.fingerprint(of: texts[i])
                        return Prepared(fingerprint: fingerprint, keys: fingerprint.map { dedup.bucketKeys($0.signature) } ?? [])
                    }
                    ready[index].signal()
                }
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
