import Foundation
import Synchronization
import Logging
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowStore

/// Moves items through stage 2 (clean) and stage 3 (dedup), a batch a transaction per stage: the one
/// path for the daemon's stages, `winnowctl ingest` and `winnowctl reprocess`.
public struct StageRunner: Sendable {
    let store: any StageStore
    let defaultCleaner: Cleaner
    let cleanersByFeed: [Int64: Cleaner]
    public let deduplicator: Deduplicator
    let canonical: CanonicalPolicy
    let learning: LearnedBoilerplate
    /// Each source's learned lines, shared by this runner's copies (`reprocessing()` included).
    let learned: LearnedLines
    /// Whether cleaned batches count towards learned boilerplate. A reprocess does not: the same
    /// articles counted twice would make lines seen in three articles look like lines seen in six.
    var observesLines = true
    let logger: Logger

    /// Items a clean batch takes: a transaction each (a crash leaves the whole batch in stage 1).
    public static let cleanBatch = 200
    /// Articles a dedup batch takes (a backlog's batches; in steady state the dedup queue holds what
    /// the last clean batches made). Larger dedup batches share the LSH index's page writes among more
    /// articles (2,000 a commit measured 4,411 articles/s against 3,612 at 500, 100,000 articles); a
    /// crash redoes the batch.
    public static let dedupBatch = 2000

    public init(store: any StageStore, defaultCleaner: Cleaner, cleanersByFeed: [Int64: Cleaner] = [:],
                deduplicator: Deduplicator, canonical: CanonicalPolicy = CanonicalPolicy(),
                learning: LearnedBoilerplate = LearnedBoilerplate(), logger: Logger) {
        self.store = store
        self.learning = learning
        self.learned = LearnedLines(store: store, minCount: learning.minCount)
        self.defaultCleaner = defaultCleaner
        self.cleanersByFeed = cleanersByFeed
        self.deduplicator = deduplicator
        self.canonical = canonical
        self.logger = logger
    }

    /// The stage workers a configuration asks for: its feeds registered (added, updated, the others
    /// set inactive), its dedup parameters checked against the stored signatures, a cleaner per feed
    /// whose rules differ from the global ones.
    public init(configuration: PipelineConfiguration, store: any StageStore, logger: Logger) throws {
        let deduplicator = Deduplicator(parameters: configuration.dedup)
        try store.checkDedupParameters(deduplicator)
        let feeds = try store.register(feeds: configuration.feeds.map { FeedRegistration(name: $0.name, url: $0.url) })
        var cleaners: [Int64: Cleaner] = [:]
        let ids = Dictionary(feeds.map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
        for feed in configuration.feeds where feed.cleaningRules != configuration.cleaningRules {
            if let id = ids[feed.name] { cleaners[id] = try Cleaner(rules: feed.cleaningRules) }
        }
        self.init(store: store, defaultCleaner: try Cleaner(rules: configuration.cleaningRules), cleanersByFeed: cleaners,
                  deduplicator: deduplicator, canonical: configuration.canonical, learning: configuration.learning, logger: logger)
    }

    /// Cleans one stage-1 item and stores it in stage 2.
    public func clean(_ raw: RawItem) throws -> (id: Int64, document: CleanedDocument) {
        let cleaned = try clean([raw])[0]
        return (cleaned.cleanID, cleaned.document)
    }

    /// One item through stage 2.
    public struct Cleaned: Sendable {
        public var rawItemID: Int64
        public var cleanID: Int64
        public var document: CleanedDocument
    }

    /// Cleans a batch and stores it in stage 2, in one transaction: rules first, then each source's
    /// learned lines; the batch's short lines are counted for learning in the same transaction (before
    /// the learned lines went, so those keep their counts). Cleaning is pure work and takes both
    /// cores; the writer waits only for the commit.
    public func clean(_ batch: [RawItem]) throws -> [Cleaned] {
        guard !batch.isEmpty else { return [] }
        let sources = batch.map(Self.source)
        let cleaned = Self.parallelMap(batch) { self.cleanDocument($0) }
        let learnedNow = try learned.current()
        let documents = zip(cleaned, sources).map { document, source in learning.apply(learnedNow[source] ?? [], to: document, source: source) }
        let observations = observesLines ? zip(sources, cleaned).map { ($0, learning.lines(of: $1)) } : []
        let rows = zip(batch, documents).map { ($0.id, $1, deduplicator.textHash($1.text)) }
        let saved = try store.saveClean(rows, observing: observations, learnAt: learning.minCount)
        learned.add(saved.learned)
        return zip(batch, zip(saved.ids, documents)).map { Cleaned(rawItemID: $0.id, cleanID: $1.0, document: $1.1) }
    }

    /// `transform` over the items on both cores, in order (a small batch on this thread alone).
    static func parallelMap<Item: Sendable, Result: Sendable>(_ items: [Item], _ transform: @Sendable (Item) -> Result) -> [Result] {
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, items.count / 8)
        guard workers > 1 else { return items.map(transform) }
        return [Result](unsafeUninitializedCapacity: items.count) { buffer, count in
            // Each worker initializes its own slots only, so sharing the buffer is safe.
            let slots = UncheckedBuffer(base: buffer.baseAddress!)
            let chunk = (items.count + workers - 1) / workers
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for i in (worker * chunk)..<min(items.count, (worker + 1) * chunk) { (slots.base + i).initialize(to: transform(items[i])) }
            }
            count = items.count
        }
    }

    /// The same stages for re-running stored items: what was learned applies to all of them (the first
    /// articles of a source included), and nothing is counted again.
    public func reprocessing() -> StageRunner {
        var copy = self
        copy.observesLines = false
        return copy
    }

    /// Where an item's boilerplate is learned: the site of its link (a site's section feeds share their
    /// boilerplate), else its feed.
    static func source(_ raw: RawItem) -> String {
        if let link = raw.item.link, let host = URLComponents(string: link)?.host?.lowercased(), !host.isEmpty {
            return host.hasPrefix("www.") ? String(host.dropFirst(4)) : host
        }
        return "feed:\(raw.feedID)"
    }

    func cleanDocument(_ raw: RawItem) -> CleanedDocument {
        let cleaner = cleanersByFeed[raw.feedID] ?? defaultCleaner
        var document = cleaner.clean(document: raw.item.body ?? "", title: raw.item.title, author: raw.item.author)
        // The page's own date stands in where the feed gave none.
        if raw.item.published == nil, let stated = document.published { document.publishedAt = FeedDate.parse(stated) }
        return document
    }

    /// Runs both stages until nothing is pending or the task is cancelled (graceful shutdown):
    /// whatever is not done stays in its earlier stage for the next start.
    public func drain() throws -> (cleaned: Int, deduplicated: Int) {
        var total = (cleaned: 0, deduplicated: 0)
        while !Task.isCancelled {
            let step = try drainStep()
            if step.isEmpty { break }
            total.cleaned += step.cleaned.count
            total.deduplicated += step.stored.count
        }
        return total
    }

    /// What one step moved on.
    public struct Step: Sendable {
        public var cleaned: [Cleaned] = []
        public var stored: [(article: CleanArticle, result: DedupResult)] = []
        public var isEmpty: Bool { cleaned.isEmpty && stored.isEmpty }
    }

    /// One step: clean batches until a dedup batch's worth is queued (or stage 1 is empty), then one
    /// dedup batch. A dedup batch of 100 articles (one clean batch's) ran at half the rate of 2,000.
    public func drainStep() throws -> Step {
        var step = Step()
        let started = Date()
        while !Task.isCancelled, step.cleaned.count < Self.dedupBatch {
            let batch = try store.pendingClean(limit: min(Self.cleanBatch, Self.dedupBatch - step.cleaned.count))
            if batch.isEmpty { break }
            step.cleaned += try clean(batch)
        }
        if !step.cleaned.isEmpty {
            PipelineMetrics.stage("clean", seconds: Date().timeIntervalSince(started))
            PipelineMetrics.items("clean", step.cleaned.count)
            for cleaned in step.cleaned {
                logger.debug("article cleaned", metadata: [
                    "stage": "clean", "clean.id": .stringConvertible(cleaned.cleanID),
                    "clean.removed": .stringConvertible(cleaned.document.removed.count),
                ])
            }
        }
        guard !Task.isCancelled else { return step }
        let dedupStarted = Date()
        let batch = try store.pendingDedup(limit: Self.dedupBatch)
        let results = try DedupStage(deduplicator: deduplicator, policy: canonical).run(batch, in: store)
        step.stored = Array(zip(batch, results))
        if !results.isEmpty {
            PipelineMetrics.stage("dedup", seconds: Date().timeIntervalSince(dedupStarted))
            PipelineMetrics.items("article", results.count)
        }
        for result in results {
            if result.status != .new { PipelineMetrics.duplicate(result.status == .exactDuplicate ? "exact" : "near") }
            var metadata: Logger.Metadata = [
                "stage": "dedup", "article.id": .stringConvertible(result.articleID),
                "dedup.status": "\(result.status.rawValue)", "cluster.id": .stringConvertible(result.clusterID),
            ]
            if let of = result.duplicateOf { metadata["dedup.duplicate_of"] = .stringConvertible(of) }
            if let s = result.similarity { metadata["dedup.similarity"] = .stringConvertible(s) }
            if let kind = result.matchKind { metadata["dedup.match"] = "\(kind)" }
            logger.info("article stored", metadata: metadata)
        }
        return step
    }
}

/// Each source's learned lines (seen in at least `minCount` of its articles): read from the store once,
/// on first use, then grown by what each clean batch's transaction reports as newly learned. Rereading
/// them for every document was 17% of an ingest's time.
final class LearnedLines: Sendable {
    let store: any StageStore
    let minCount: Int
    private let lines = Mutex<[String: Set<String>]?>(nil)

    init(store: any StageStore, minCount: Int) {
        self.store = store
        self.minCount = minCount
    }

    func current() throws -> [String: Set<String>] {
        try lines.withLock { lines in
            if let lines { return lines }
            let loaded = try store.learnedLines(minCount: minCount)
            lines = loaded
            return loaded
        }
    }

    func add(_ learned: [(source: String, line: String)]) {
        guard !learned.isEmpty else { return }
        lines.withLock { lines in
            for (source, line) in learned { lines?[source, default: []].insert(line) }
        }
    }
}

/// A buffer whose disjoint slots several threads initialize.
struct UncheckedBuffer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
