import Foundation
import Logging
import ServiceLifecycle
import WinnowClean
import WinnowDedup
import WinnowFetch
import WinnowStore

/// The daemon's main loop as a service: poll the feeds that are due (bounded concurrency), push new
/// items through the stages, then sleep until the next feed is due. Graceful shutdown cancels in-flight
/// fetches; every transaction is either committed or not begun, so nothing is half-written.
public final class PipelineService: Service {
    let configuration: PipelineConfiguration
    let store: ArticleStore
    let poller: FeedPoller
    let stages: StageRunner
    let logger: Logger
    let once: Bool
    let notifier: SystemdNotifier?
    let lock: DatabaseLock

    /// Opens the store (running migrations), registers the configured feeds and builds the stage workers.
    public init(configuration: PipelineConfiguration, once: Bool, logger: Logger, notifier: SystemdNotifier? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        self.once = once
        self.notifier = notifier
        lock = try DatabaseLock(databasePath: configuration.databasePath)
        store = try ArticleStore.open(path: configuration.databasePath)
        let deduplicator = Deduplicator(parameters: configuration.dedup)
        try store.checkDedupParameters(deduplicator)
        let feeds = try store.register(feeds: configuration.feeds.map { FeedRegistration(name: $0.name, url: $0.url) })
        var cleaners: [Int64: Cleaner] = [:]
        for feed in configuration.feeds where feed.cleaningRules != configuration.cleaningRules {
            if let id = feeds.first(where: { $0.name == feed.name })?.id { cleaners[id] = try Cleaner(rules: feed.cleaningRules) }
        }
        poller = FeedPoller(fetcher: Fetcher(limits: configuration.fetch), store: store, logger: logger)
        stages = StageRunner(store: store, defaultCleaner: try Cleaner(rules: configuration.cleaningRules),
                             cleanersByFeed: cleaners, deduplicator: deduplicator, canonical: configuration.canonical, logger: logger)
    }

    public func run() async throws {
        notifier?.send("READY=1")
        logger.info("winnowd started", metadata: [
            "config.path": "\(configuration.configPath)", "db.path": "\(configuration.databasePath)",
            "feeds.count": .stringConvertible(configuration.feeds.count), "mode": once ? "once" : "daemon",
        ])
        await cancelWhenGracefulShutdown {
            do {
                try await self.loop()
            } catch is CancellationError {
            } catch {
                self.logger.error("pipeline stopped on an error", metadata: ["error": "\(error)"])
            }
        }
        notifier?.send("STOPPING=1")
        logger.info("winnowd stopped")
    }

    func loop() async throws {
        // Work left by a previous run (a crash between stages) is finished first.
        try report(stages.drain())
        var lastPrune = 0.0
        while !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            let due = once ? try store.feeds().filter(\.active) : try store.dueFeeds(now: now)
            if !due.isEmpty {
                await pollAll(due)
                try report(stages.drain())
                try updateStatus()
            }
            if now - lastPrune > 3600 {
                lastPrune = now
                try pruneIndex(now: now)
            }
            if once { return }
            let next = try store.nextDueTime() ?? (now + 3600)
            // Sleep until the next feed is due instead of ticking: an idle daemon costs nothing.
            let delay = max(0.05, next - Date().timeIntervalSince1970)
            try await Task.sleep(for: .seconds(delay))
        }
    }

    func pollAll(_ feeds: [FeedState]) async {
        let intervals = Dictionary(configuration.feeds.map { ($0.name, $0.interval) }, uniquingKeysWith: { a, _ in a })
        await withTaskGroup(of: Void.self) { group in
            var iterator = feeds.makeIterator()
            var running = 0
            while let feed = iterator.next() {
                if running >= configuration.concurrency {
                    await group.next()
                    running -= 1
                }
                if Task.isCancelled { break }
                let interval = intervals[feed.name] ?? 900
                group.addTask { [poller] in await poller.poll(feed, interval: interval) }
                running += 1
            }
        }
    }

    /// Keeps the LSH index to the retention window, so its size follows the news rate, not the archive.
    func pruneIndex(now: Double) throws {
        let pruned = try store.pruneIndex(createdBefore: now - Double(configuration.retentionDays) * 86_400, with: stages.deduplicator)
        if pruned > 0 {
            logger.info("dedup index pruned", metadata: ["dedup.pruned": .stringConvertible(pruned),
                                                         "dedup.retention_days": .stringConvertible(configuration.retentionDays)])
        }
    }

    func report(_ counts: (cleaned: Int, deduplicated: Int)) throws {
        guard counts.cleaned + counts.deduplicated > 0 else { return }
        logger.info("stages advanced", metadata: [
            "stage.cleaned": .stringConvertible(counts.cleaned), "stage.deduplicated": .stringConvertible(counts.deduplicated),
        ])
    }

    func updateStatus() throws {
        guard let notifier else { return }
        let c = try store.counts()
        notifier.send("STATUS=\(configuration.feeds.count) feeds, \(c.articles) articles, \(c.duplicates) duplicates, \(c.pendingClean + c.pendingDedup) pending")
    }
}
