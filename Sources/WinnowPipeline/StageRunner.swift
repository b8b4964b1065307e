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
    /// The next backlog, being read and cleaned while the writer saves the last one.
    var ahead = CleaningAhead()

    /// Items a step takes from each stage: its clean backlog is cleaned on the worker threads while this
    /// thread dedups what the previous step cleaned, then saved a `learningBatch` a transaction (a crash
    /// leaves what was not committed in stage 1). Larger dedup batches share the LSH index's page writes among more articles
    /// (2,000 a commit measured 4,411 articles/s against 3,612 at 500, 100,000 articles); a crash redoes
    /// the batch.
    public static let dedupBatch = 2000
    /// Items the first step of a drain cleans (nothing was cleaned ahead of it): a whole number of
    /// `learningBatch`es, so learned lines apply from the same items as with full batches.
    static let firstBatch = 2 * learningBatch

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
    /// `registeringFeeds: false` leaves the stored feeds as they are (a command rebuilding a store other
    /// processes share) and looks the configured ones up by name.
    public init(configuration: PipelineConfiguration, store: any StageStore, registeringFeeds: Bool = true, logger: Logger) throws {
        let deduplicator = Deduplicator(parameters: configuration.dedup)
        try store.checkDedupParameters(deduplicator)
        let feeds = registeringFeeds ? try store.register(feeds: configuration.feeds.map { FeedRegistration(name: $0.name, url: $0.url) })
            : try store.feeds()
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
        try save(batch, prepare(batch))
    }

    /// What cleaning makes of an item before the source's learned lines apply: pure work, for any thread.
    struct Prepared: Sendable {
        var document: CleanedDocument
        var source: String
        /// Its short paragraphs (repeats kept), against which learned lines are applied.
        var shortParagraphs: [String]
        /// Its short lines, counted towards learning.
        var lines: [String]
        var textHash: String
        /// What stage 3 needs of its text, made here on the cleaning threads (while the writer works)
        /// rather than at stage 3, where the writer waited for it; without its shingles, which are
        /// most of its size and rarely needed (stage 3 makes them again when they are).
        var fingerprint: ArticleFingerprint
    }

    /// The batch's documents, made on both cores. The short paragraphs are split here too, so the
    /// writer only looks them up when it applies the learned lines (splitting them there took 7% of
    /// the writer's thread in an ingest).
    func prepare(_ batch: [RawItem]) -> [Prepared] {
        Self.parallelMap(batch) { raw in
            let document = self.cleanDocument(raw)
            let short = self.learning.shortParagraphs(of: document)
            return Prepared(document: document, source: Self.source(raw), shortParagraphs: short,
                            lines: self.learning.lines(among: short), textHash: self.deduplicator.textHash(document.text),
                            fingerprint: self.deduplicator.articleFingerprint(of: document.text).withoutShingles)
        }
    }

    /// The writer's part of stage 2: a transaction per `learningBatch` items, each with the learned lines
    /// as they stand after the transactions before it (a line learned in this batch's first items is
    /// taken out of its later ones, as it would be had they come one by one).
    func save(_ batch: [RawItem], _ prepared: [Prepared]) throws -> [Cleaned] {
        var cleaned: [Cleaned] = []
        cleaned.reserveCapacity(batch.count)
        for start in stride(from: 0, to: batch.count, by: Self.learningBatch) {
            let part = start..<min(start + Self.learningBatch, batch.count)
            let learnedNow = try learned.current()
            let rows = zip(batch[part], prepared[part]).map { raw, item in
                let document = learning.apply(learnedNow[item.source] ?? [], to: item.document, source: item.source,
                                              shortParagraphs: item.shortParagraphs)
                return (raw.id, document, document.text == item.document.text ? item.textHash : deduplicator.textHash(document.text))
            }
            let observations = observesLines ? prepared[part].map { ($0.source, $0.lines) } : []
            let saved = try store.saveClean(rows, observing: observations, learnAt: learning.minCount)
            learned.add(saved.learned)
            cleaned += zip(rows, saved.ids).map { Cleaned(rawItemID: $0.0, cleanID: $1, document: $0.1) }
            // An article's fingerprint goes on to stage 3 when its text is the one it was made of (no
            // learned line came out).
            ahead.remember(zip(zip(rows, saved.ids), prepared[part]).compactMap { row, item in
                row.0.1.text == item.document.text ? (row.1, row.0.1.text, item.fingerprint) : nil
            })
        }
        return cleaned
    }

    /// Items a stage-2 transaction takes: how soon a newly learned line applies to the items after it.
    static let learningBatch = 200

    /// `transform` over the items on both cores, in order (a small batch on this thread alone). The
    /// helper threads are this function's own, not dispatch's pool: they inherit the calling thread's
    /// priority, so cleaning started at a low priority stays there.
    public static func parallelMap<Item: Sendable, Result: Sendable>(_ items: [Item], _ transform: @escaping @Sendable (Item) -> Result) -> [Result] {
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, items.count / 8)
        guard workers > 1 else { return items.map(transform) }
        return [Result](unsafeUninitializedCapacity: items.count) { buffer, count in
            // Each worker initializes its own slots only, so sharing the buffer is safe.
            let slots = UncheckedBuffer(base: buffer.baseAddress!)
            let chunk = (items.count + workers - 1) / workers
            let work: @Sendable (Int) -> Void = { worker in
                for i in (worker * chunk)..<min(items.count, (worker + 1) * chunk) { (slots.base + i).initialize(to: transform(items[i])) }
            }
            let done = DispatchSemaphore(value: 0)
            for worker in 1..<workers {
                Thread { work(worker); done.signal() }.start()
            }
            work(0)
            for _ in 1..<workers { done.wait() }
            count = items.count
        }
    }

    /// The same stages for re-running stored items: what was learned applies to all of them (the first
    /// articles of a source included), and nothing is counted again.
    public func reprocessing() -> StageRunner {
        var copy = self
        copy.observesLines = false
        copy.ahead = CleaningAhead()
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
        // A backlog cleaned ahead and not taken (the task was cancelled) stays in stage 1.
        defer { ahead.discard() }
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

    /// One step: up to a batch of stage 1 cleaned on the worker threads while this thread dedups up to a
    /// batch of stage 2 (what the previous step cleaned), then the cleaned batch saved while the worker
    /// threads read and clean the next one (taken by the next step). Dedup and the writes ran one core
    /// while the other idled, and cleaning both while the writer waited: overlapped, a backlog moves at
    /// the pace of the slower.
    public func drainStep() throws -> Step {
        var step = Step()
        guard !Task.isCancelled else { ahead.discard(); return step }
        let cleanStarted = Date()
        // Stage 1's backlog is read and cleaned on other threads (reading it back was a tenth of the
        // writer's time): the last step started it, or it starts now, with a smaller batch (the writer
        // has nothing to dedup until it is cleaned, so the sooner it is, the sooner both cores work).
        let cleaning = ahead.take() ?? cleaningBacklog(after: nil, limit: Self.firstBatch)
        // Whatever happens to the dedup batch, the cleaning thread is waited for: it holds this runner.
        defer { _ = cleaning.wait() }

        let dedupStarted = Date()
        let batch = try ahead.takeDedup()?.wait().get() ?? store.pendingDedup(limit: Self.dedupBatch)
        let results = try DedupStage(deduplicator: deduplicator, policy: canonical).run(batch, in: store, known: ahead.fingerprints(of: batch))
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

        // A step cancelled while it cleaned leaves its batch in stage 1 for the next start.
        let (backlog, prepared) = try cleaning.wait().get()
        guard let last = backlog.last, !Task.isCancelled else { return step }
        // The items after this batch are cleaned while it is saved; a save that fails drops them (they
        // stay in stage 1).
        ahead.start(cleaningBacklog(after: last.id))
        do {
            step.cleaned = try save(backlog, prepared)
            // What the next step deduplicates is read back meanwhile, off this thread.
            ahead.startDedup(Background { Result { try self.store.pendingDedup(limit: Self.dedupBatch) } })
        } catch {
            ahead.discard()
            throw error
        }
        PipelineMetrics.stage("clean", seconds: Date().timeIntervalSince(cleanStarted))
        PipelineMetrics.items("clean", step.cleaned.count)
        for cleaned in step.cleaned {
            logger.debug("article cleaned", metadata: [
                "stage": "clean", "clean.id": .stringConvertible(cleaned.cleanID),
                "clean.removed": .stringConvertible(cleaned.document.removed.count),
            ])
        }
        return step
    }
}

extension StageRunner {
    /// A backlog read from stage 1 and prepared for saving.
    typealias Cleaning = Background<Result<(batch: [RawItem], prepared: [Prepared]), any Error>>

    /// Reads up to a batch of stage 1 (after item `after`, when given) and prepares it, on other threads.
    func cleaningBacklog(after: Int64?, limit: Int = StageRunner.dedupBatch) -> Cleaning {
        Background(lowPriority: true) { Result { () throws -> (batch: [RawItem], prepared: [Prepared]) in
            let backlog = try self.store.pendingClean(limit: limit, after: after)
            return (backlog, self.prepare(backlog))
        } }
    }
}

/// What a step started for the next one: reading and cleaning the next backlog, reading back the next
/// dedup batch. Shared by a runner's copies.
final class CleaningAhead: Sendable {
    private let cleaning = Mutex<StageRunner.Cleaning?>(nil)
    private let dedup = Mutex<Background<Result<[CleanArticle], any Error>>?>(nil)

    func startDedup(_ next: Background<Result<[CleanArticle], any Error>>) {
        dedup.withLock { $0 = next }
    }

    func takeDedup() -> Background<Result<[CleanArticle], any Error>>? {
        dedup.withLock { $0.take() }
    }

    func start(_ next: StageRunner.Cleaning) {
        let previous = cleaning.withLock { slot in
            defer { slot = next }
            return slot
        }
        _ = previous?.wait()
    }

    func take() -> StageRunner.Cleaning? {
        cleaning.withLock { $0.take() }
    }

    /// Fingerprints made at stage 2, by clean article id, with the text each was made of.
    private let fingerprints = Mutex<[Int64: (text: String, fingerprint: ArticleFingerprint)]>([:])

    /// Keeps saved articles' fingerprints for stage 3. Bounded: those of articles that another process
    /// deduplicates, or that a failed batch left, are dropped rather than kept.
    func remember(_ saved: [(cleanID: Int64, text: String, fingerprint: ArticleFingerprint)]) {
        fingerprints.withLock { kept in
            if kept.count + saved.count > 3 * StageRunner.dedupBatch { kept.removeAll() }
            for item in saved { kept[item.cleanID] = (item.text, item.fingerprint) }
        }
    }

    /// The kept fingerprints of a stage-3 batch, taken out (nil for an article with none, or whose text
    /// is not the one its fingerprint was made of: a reset can give a new article an old id).
    func fingerprints(of batch: [CleanArticle]) -> [ArticleFingerprint?] {
        fingerprints.withLock { kept in
            batch.map { article in
                guard let entry = kept.removeValue(forKey: article.id), sameBytes(entry.text, article.text) else { return nil }
                return entry.fingerprint
            }
        }
    }

    /// Waits for the work under way and drops it: its items are still in their stages.
    func discard() {
        _ = take()?.wait()
        _ = takeDedup()?.wait()
    }
}

/// Whether two strings hold the same bytes (no Unicode equivalence: a fingerprint is of the bytes).
private func sameBytes(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) } }
}

/// Threads started for each batch each got a malloc arena of their own (glibc makes up to eight per
/// core) and kept the text freed in it: two arenas held an ingest of 10,000 documents to a peak of
/// 266 MB instead of 308-323 MB, at the same speed.
private let mallocArenasLimited: Void = {
    // mallopt is declared in malloc.h, which the Glibc module leaves out: looked up by name instead.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    if let mallopt = dlsym(nil, "mallopt") {
        _ = unsafeBitCast(mallopt, to: Mallopt.self)(-8, 2)  // M_ARENA_MAX, 2
    }
}()

/// Work on a thread of its own, its result waited for once it is needed.
public final class Background<Value: Sendable>: @unchecked Sendable {  // `value` is written once, before `done` is signalled
    private var value: Value?
    private let done = DispatchSemaphore(value: 0)
    private var taken = false

    /// Starts `work`; at a low priority (nice 10, and the threads it starts inherit it) when it should
    /// take only the CPU the calling thread leaves: the stages' writer is the one thread a batch waits for.
    public init(lowPriority: Bool = false, _ work: @escaping @Sendable () -> Value) {
        _ = mallocArenasLimited
        Thread { [self] in
            // Linux keeps the nice value per thread: `who` 0 is this thread alone.
            if lowPriority { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
            value = work()
            done.signal()
        }.start()
    }

    /// The result; waits for it the first time (from one thread at a time).
    public func wait() -> Value {
        if !taken { done.wait(); taken = true }
        return value!
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
