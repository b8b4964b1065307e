import Dispatch

/// A batch's fingerprints and bucket keys, computed on worker threads slice by slice while the
/// transaction consumes the slices before it. Each slice is written once by its worker and read only
/// after its semaphore is signalled.
final class FingerprintSlices: @unchecked Sendable {
    typealias Prepared = ArticleFingerprint

    let slices: [Range<Int>]
    private let prepared: UnsafeMutableBufferPointer<[Prepared]>  // not an Array: the worker writes while the reader reads
    private let ready: [DispatchSemaphore]

    /// `known` holds fingerprints made earlier (nil where none was; empty when none was): those are
    /// taken as they are.
    init(_ articles: [CleanArticle], with dedup: Deduplicator, known: [ArticleFingerprint?] = [], sliceSize: Int = 50) {
        slices = stride(from: 0, to: articles.count, by: sliceSize).map { $0..<min($0 + sliceSize, articles.count) }
        prepared = .allocate(capacity: slices.count)
        prepared.initialize(repeating: [])
        ready = slices.map { _ in DispatchSemaphore(value: 0) }
        let texts = articles.map { $0.text }
        let known = known.count == articles.count ? known : []
        // Slices whose fingerprints are all known are ready now; the workers make the rest.
        let toMake = slices.indices.filter { index in
            guard !known.isEmpty, slices[index].allSatisfy({ known[$0] != nil }) else { return true }
            prepared[index] = slices[index].map { known[$0]! }
            ready[index].signal()
            return false
        }
        // Two workers take alternate slices: with nothing else to do (a batch's last dedup, a reprocess)
        // the transaction waited on a single one; beside cleaning, each gets what the scheduler gives.
        for worker in 0..<min(2, toMake.count) {
            DispatchQueue.global().async { [self] in
                for index in stride(from: worker, to: toMake.count, by: 2).map({ toMake[$0] }) {
                    prepared[index] = slices[index].map { i in
                        (known.isEmpty ? nil : known[i]) ?? dedup.articleFingerprint(of: texts[i])
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
