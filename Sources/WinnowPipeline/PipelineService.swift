import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import WinnowClean
import WinnowDedup
import WinnowFetch
import WinnowPostgres
import WinnowStore

/// The daemon's main loop as a service: poll the feeds that are due (bounded concurrency), push new
/// items through the stages, then sleep until the next feed is due or a reload is asked for.
/// Graceful shutdown cancels in-flight fetches; every transaction is either committed or not begun,
/// so nothing is half-written. SIGHUP reloads the configuration file; an invalid one is refused and
/// the running configuration stays.
public final class PipelineService: Service {
    let store: any DaemonStore
    let logger: Logger
    let once: Bool
    let notifier: SystemdNotifier?
    /// One daemon per SQLite file; nil on PostgreSQL, which several share.
    let lock: DatabaseLock?
    /// This daemon's row in PostgreSQL's `daemons` table, kept fresh (`winnowctl status --db URL` lists it).
    let heartbeat: DaemonHeartbeat?
    let initial: Runtime
    let health = Health()
    let startedAt = Date()
    /// Wakes the sleeping loop: a reload, a fetch-now, a reprocess.
    /// Ends the loop's sleep early when a request or signal needs it.
    let wakeSignal = WakeSignal()
    /// Webhook deliveries, beside the pipeline (see WebhookDelivery); SQLite only (the configuration
    /// refuses webhooks with a PostgreSQL database).
    let delivery: WebhookDelivery?
    let feedHealthMetrics = FeedHealthMetrics()

    /// Everything that depends on the configuration; replaced whole on reload.
    struct Runtime: Sendable {
        var configuration: PipelineConfiguration
        var poller: FeedPoller
        var stages: StageRunner
        /// Per-host limits; a reload starts a fresh one (any rest a host asked for is kept by its feeds' next poll times).
        var hosts: HostGate
    }

    /// Shared with the signal and watchdog tasks: whether the loop is idle (and since when its current
    /// cycle runs), and whether a reload is asked for.
    final class Health: Sendable {
        let cycleStarted = Atomic<Double>(0)  // 0 while idle
        /// Set by SIGHUP or the control socket, taken by the loop between cycles.
        let reloadRequested = Atomic<Bool>(false)
        let inFlightFetches = Atomic<Int>(0)
        /// A stage to rebuild from, asked for on the control socket.
        let reprocessFrom = Mutex<String?>(nil)
        /// Why the database cannot be written just now (a full disk, a read-only file), or nil.
        let storageTrouble = Mutex<String?>(nil)
    }

    /// Why the database cannot be written, when that is what `error` says (see `ArticleStore.storageTrouble`):
    /// trouble that passes by itself, which the daemon waits out, at start as while it runs.
    public static func storageTrouble(in error: any Error) -> String? {
        if let unwritable = error as? DatabaseLock.Unwritable, [EROFS, EACCES, EPERM, ENOSPC, EDQUOT].contains(unwritable.code) {
            return unwritable.code == ENOSPC || unwritable.code == EDQUOT ? "the disk holding the database is full"
                : unwritable.code == EROFS ? "the database is read-only (its file or its file system)"
                : "the database's folder cannot be written by this user"
        }
        if let lost = error as? PGError, lost.isConnectionLost {
            return "the PostgreSQL server cannot be reached or closed the connection"
        }
        return ArticleStore.storageTrouble(in: error)
    }

    /// Opens the store (running migrations), registers the configured feeds and builds the stage workers.
    public init(configuration: PipelineConfiguration, once: Bool, logger: Logger, notifier: SystemdNotifier? = nil) throws {
        self.logger = logger
        self.once = once
        self.notifier = notifier
        if configuration.isPostgres {
            var options = PostgresStore.Options()
            options.lease = .milliseconds(Int64(configuration.lease * 1000))
            let shared = try PostgresStore.open(url: configuration.databasePath, options: options)
            store = shared
            lock = nil
            delivery = nil
            initial = try Self.runtime(for: configuration, store: shared, logger: logger)
            // A beat a third of a lease (at most every 10 s): `status` takes a daemon three beats silent for gone.
            heartbeat = try DaemonHeartbeat(store: shared, url: configuration.databasePath, interval: min(10, max(0.5, configuration.lease / 3)))
            return
        }
        lock = try DatabaseLock(databasePath: configuration.databasePath)
        let file = try ArticleStore.open(path: configuration.databasePath)
        store = file
        heartbeat = nil
        initial = try Self.runtime(for: configuration, store: file, logger: logger)
        delivery = WebhookDelivery(store: file, webhooks: configuration.webhooks, fetch: configuration.fetch, logger: logger)
        // Fixes where deliveries start before any article of this run is stored.
        _ = try file.outboxCursor()
    }

    static func runtime(for configuration: PipelineConfiguration, store: any DaemonStore, logger: Logger) throws -> Runtime {
        Runtime(configuration: configuration,
                poller: FeedPoller(fetcher: Fetcher(limits: configuration.fetch), store: store, logger: logger),
                stages: try StageRunner(configuration: configuration, store: store, logger: logger),
                hosts: HostGate(connections: configuration.perHostConnections, gap: configuration.perHostGap))
    }

    public func run() async throws {
        // Trap SIGHUP before saying READY, so a reload sent right after start is never fatal.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let health = self.health, wakeSignal = self.wakeSignal
        // The control socket, for winnowctl; not for a one-shot run.
        var control: ControlServer?
        if !once {
            do {
                control = try ControlServer(path: initial.configuration.controlSocketPath) { [weak self] request in
                    self?.handle(request) ?? .failure("winnowd is stopping")
                }
            } catch {
                logger.error("control socket unavailable; winnowctl can still read the database", metadata: ["error": "\(error)"])
            }
        }
        defer { control?.stop() }
        notifier?.send("READY=1")
        logger.info("winnowd started", metadata: [
            "config.path": "\(initial.configuration.configPath)", "db.path": "\(PostgresURL.redacted(initial.configuration.databasePath))",
            "feeds.count": .stringConvertible(initial.configuration.feeds.count), "mode": once ? "once" : "daemon",
        ])
        let stoppedBy = StoppedBy()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups {
                    health.reloadRequested.store(true, ordering: .relaxed)
                    wakeSignal.wake()
                }
            }
            if let notifier, let interval = notifier.watchdogInterval {
                group.addTask { await self.watchdog(notifier: notifier, interval: interval) }
            }
            let delivery = self.delivery
            if !once, let delivery { group.addTask { await delivery.run() } }
            await cancelWhenGracefulShutdown {
                do {
                    try await self.loop()
                    // A one-shot run delivers what it stored before it exits; what fails stays owed.
                    if self.once { await delivery?.drainOnce() }
                } catch is CancellationError {
                } catch {
                    self.logger.error("pipeline stopped on an error", metadata: ["error": "\(error)"])
                    stoppedBy.error.withLock { $0 = error }
                }
            }
            group.cancelAll()
        }
        notifier?.send("STOPPING=1")
        heartbeat?.stop()
        logger.info("winnowd stopped")
        // Stopped by an error, not a signal: the exit status says so, so systemd's Restart=on-failure
        // restarts the daemon and a script running --once sees the failure.
        if let error = stoppedBy.error.withLock({ $0 }) {
            throw PipelineStopped(error: error, reason: Self.storageTrouble(in: error))
        }
    }

    /// The least time between the starts of two cycles (unless woken by a request).
    static let minimumCycleGap = 1.0

    func loop() async throws {
        var runtime = initial
        var lastPrune = 0.0
        var troubleWait = 0.0  // how long to wait before trying again while the database cannot be written
        while !Task.isCancelled {
            do {
                let cycleStart = Date().timeIntervalSince1970
                try await cycle(&runtime, lastPrune: &lastPrune)
                if once { return }
                if troubleWait > 0 {
                    troubleWait = 0
                    health.storageTrouble.withLock { $0 = nil }
                    logger.notice("the database can be written again; polling and the stages resume")
                }
                // Sleep until the next feed is due instead of ticking (an idle daemon costs nothing), or
                // until a reload or fetch-now is asked for. Cycles start at most once a second: with
                // jitter, thousands of feeds fall due a few milliseconds apart, and a cycle per feed cost
                // more in queries than the fetches themselves; a second late is no later than jitter.
                let next = max(try store.nextDueTime() ?? (Date().timeIntervalSince1970 + 3600), cycleStart + Self.minimumCycleGap)
                try await sleep(seconds: max(0.05, next - Date().timeIntervalSince1970))
            } catch {
                // Nothing is lost by waiting: what was fetched and not stored is fetched again, and
                // each stage's work stays queued in the stage before it. Polling waits too, so servers
                // are not asked again and again for items that cannot be stored.
                guard let reason = Self.storageTrouble(in: error) else { throw error }
                let changed = health.storageTrouble.withLock { old in defer { old = reason }; return old != reason }
                troubleWait = min(60, max(2, troubleWait * 2))
                if changed {
                    logger.error("the database cannot be written: polling and the stages are paused until it can; nothing is lost", metadata: [
                        "reason": "\(reason)", "database": "\(PostgresURL.redacted(runtime.configuration.databasePath))", "error": "\(error)",
                        "retry_in_s": .stringConvertible(Int(troubleWait)),
                    ])
                }
                if once { throw error }
                try await sleep(seconds: troubleWait)
            }
        }
    }

    /// One cycle: reload or reprocess when asked, finish queued stage work, poll the due feeds and run
    /// the stages on what they brought, prune the index hourly.
    func cycle(_ runtime: inout Runtime, lastPrune: inout Double) async throws {
        // Work left by a previous run (a crash between stages), or by a cycle the disk stopped, comes first.
        try report(runtime.stages.drain())
        defer { health.cycleStarted.store(0, ordering: .relaxed) }  // idle again, however the cycle ends
        if health.reloadRequested.exchange(false, ordering: .relaxed) { runtime = reload(runtime) }
        if let stage = health.reprocessFrom.withLock({ value -> String? in defer { value = nil }; return value }) {
            try store.resetStages(includingClean: stage == "clean")
            try store.checkDedupParameters(runtime.stages.deduplicator)
            logger.notice("reprocessing", metadata: ["reprocess.from": "\(stage)"])
            try report(runtime.stages.reprocessing().drain())
        }
        let now = Date().timeIntervalSince1970
        health.cycleStarted.store(now, ordering: .relaxed)
        if store.sharesFeeds {
            // Claimed a few at a time while the cycle runs, so the daemons sharing the store share the
            // due feeds; only feeds due when the cycle began (a short interval must not make a
            // one-shot run fetch a feed twice).
            let chunk = max(8, runtime.configuration.concurrency)
            let perHost = runtime.configuration.perHostConnections
            let store = self.store
            try await pollingWithStages(runtime) {
                await pollAll(runtime: runtime, claiming: {
                    try store.claimDue(now: now, all: false, limit: chunk, perHost: perHost)
                }, dueLeft: { try store.hasUnclaimedDueFeeds(now: now) })
            }
        } else {
            let due = try store.claimDue(now: now, all: once, limit: .max, perHost: .max)
            if !due.isEmpty {
                try await pollingWithStages(runtime) { await pollAll(due, runtime: runtime) }
            }
        }
        if now - lastPrune > 3600 {
            try pruneIndex(now: now, runtime: runtime)
            lastPrune = now
        }
        try updateStatus(runtime)
    }

    /// Reads the configuration file again. A file that does not validate, or that would change the
    /// dedup parameters under stored signatures, is refused: the running configuration stays.
    func reload(_ current: Runtime) -> Runtime {
        let path = current.configuration.configPath
        do {
            let configuration = try PipelineConfiguration.load(path: path)
            guard configuration.databasePath == current.configuration.databasePath else {
                throw ConfigurationError(path: "database", reason: "cannot change while winnowd runs; restart it to use another database")
            }
            let runtime = try Self.runtime(for: configuration, store: store, logger: logger)
            delivery?.update(configuration.webhooks)
            let before = Set(current.configuration.feeds.map(\.name)), after = Set(configuration.feeds.map(\.name))
            logger.notice("configuration reloaded", metadata: [
                "config.path": "\(path)", "feeds.count": .stringConvertible(configuration.feeds.count),
                "feeds.added": .array(after.subtracting(before).sorted().map { .string($0) }),
                "feeds.removed": .array(before.subtracting(after).sorted().map { .string($0) }),
            ])
            return runtime
        } catch {
            logger.error("configuration reload refused; the running configuration stays", metadata: [
                "config.path": "\(path)", "error": "\(error)",
            ])
            // Put the feeds of the running configuration back, in case the refused one got as far as registering its own.
            _ = try? store.register(feeds: current.configuration.feeds.map { FeedRegistration(name: $0.name, url: $0.url) })
            return current
        }
    }

    /// Answers one control-socket request. Changes go through the database (pause, fetch-now) or are
    /// handed to the loop, which is the only writer of stages (reload, reprocess).
    func handle(_ request: ControlRequest) -> ControlResponse {
        do {
            switch request.command {
            case "status":
                let counts = try store.counts()
                let feeds = try store.feeds().filter(\.active)
                let started = health.cycleStarted.load(ordering: .relaxed)
                return ControlResponse(ok: true, status: LiveStatus(
                    pid: getpid(), uptimeSeconds: Date().timeIntervalSince(startedAt), configPath: initial.configuration.configPath,
                    inFlightFetches: health.inFlightFetches.load(ordering: .relaxed),
                    cycleRunningSeconds: started == 0 ? nil : Date().timeIntervalSince1970 - started,
                    pendingClean: counts.pendingClean, pendingDedup: counts.pendingDedup,
                    pausedFeeds: feeds.filter(\.paused).map(\.name),
                    nextDue: Dictionary(uniqueKeysWithValues: feeds.filter { !$0.paused }.map { ($0.name, $0.nextFetchAt) }),
                    storageTrouble: health.storageTrouble.withLock { $0 }))
            case "fetch-now":
                guard request.all == true || request.feed != nil else { return .failure("fetch-now needs a feed name or all") }
                let count = try store.fetchNow(request.all == true ? nil : request.feed)
                guard count > 0 else { return .failure("no feed named \(request.feed ?? "") (see winnowctl status)", code: 66) }
                wakeSignal.wake()
                return .success("\(count) feed\(count == 1 ? "" : "s") due now")
            case "pause", "resume":
                guard let feed = request.feed else { return .failure("\(request.command) needs a feed name") }
                guard try store.setPaused(feed, request.command == "pause") else { return .failure("no feed named \(feed) (see winnowctl status)", code: 66) }
                wakeSignal.wake()
                logger.notice(request.command == "pause" ? "feed paused" : "feed resumed", metadata: ["feed.name": "\(feed)"])
                return .success("\(feed) \(request.command == "pause" ? "paused" : "resumed")")
            case "reload":
                // Check the file now, so the answer says whether it will take; the loop applies it.
                _ = try PipelineConfiguration.load(path: initial.configuration.configPath)
                health.reloadRequested.store(true, ordering: .relaxed)
                wakeSignal.wake()
                return .success("reloading \(initial.configuration.configPath)")
            case "reprocess":
                guard let from = request.from, from == "clean" || from == "dedup" else { return .failure("reprocess needs from: clean or dedup") }
                // Daemons sharing a store would take their share of the queued rows with their own
                // configurations: a rebuild there is winnowctl's, with the daemons stopped.
                guard !store.sharesFeeds else {
                    return .failure("a daemon on a shared PostgreSQL store does not rebuild stages: stop the daemons, then run winnowctl reprocess --from \(from) --db URL")
                }
                health.reprocessFrom.withLock { $0 = from }
                wakeSignal.wake()
                return .success("reprocessing from \(from); progress is in the log")
            default:
                return .failure("unknown command \"\(request.command)\"; commands: status, fetch-now, pause, resume, reload, reprocess")
            }
        } catch {
            // A configuration the daemon refuses is the user's to fix (78), like winnowd's own start.
            return .failure("\(error)", code: error is ConfigurationError ? 78 : nil)
        }
    }

    /// Sleeps `seconds`, or until woken by a request; throws if the task was cancelled.
    func sleep(seconds: Double) async throws {
        await wakeSignal.sleep(seconds: seconds)
        try Task.checkCancellation()
    }

    /// Sends WATCHDOG=1 at half the interval systemd asked for, but only while the scheduler is idle or
    /// its cycle is younger than the watchdog interval times 10, and the database answers. A stuck
    /// daemon therefore stops petting the watchdog and systemd restarts it.
    func watchdog(notifier: SystemdNotifier, interval: Double) async {
        while !Task.isCancelled {
            let started = health.cycleStarted.load(ordering: .relaxed)
            let schedulerHealthy = started == 0 || Date().timeIntervalSince1970 - started < max(interval * 10, 600)
            let databaseHealthy = store.healthCheck()
            if schedulerHealthy && databaseHealthy {
                notifier.send("WATCHDOG=1")
            } else {
                logger.warning("watchdog withheld", metadata: ["scheduler.healthy": "\(schedulerHealthy)", "database.healthy": "\(databaseHealthy)"])
            }
            try? await Task.sleep(for: .seconds(interval / 2))
        }
    }

    /// Polls the feeds; returns the error that kept a batch of outcomes from the database, if the disk did.
    func pollAll(_ feeds: [PollClaim], runtime: Runtime) async -> (any Error)? {
        var first: [PollClaim]? = Self.interleavedByHost(feeds, url: \.feed.url)
        return await pollAll(runtime: runtime, claiming: { defer { first = nil }; return first ?? [] }, dueLeft: { false })
    }

    /// Polls feeds as `claiming` hands them out (a batch at a time, until it hands out none) and records
    /// their fetches. When it hands out none while `dueLeft` says due feeds wait for their host's limits
    /// (held by this daemon's fetches not yet recorded, or by other daemons'), the fetches in hand are
    /// recorded (giving their leases back) and it is asked again shortly. Returns the error that stopped
    /// claims, or that kept a batch of outcomes from the database.
    func pollAll(runtime: Runtime, claiming: () throws -> [PollClaim], dueLeft: () throws -> Bool) async -> (any Error)? {
        let options = Dictionary(runtime.configuration.feeds.map {
            ($0.name, FeedPoller.PollOptions(interval: $0.interval, fullText: $0.fullText, allowPrivateLinks: $0.allowPrivateLinks,
                                             adaptive: $0.adaptive))
        }, uniquingKeysWith: { a, _ in a })
        let poller = runtime.poller, hosts = runtime.hosts
        // On a shared store a fetch's lease counts against its host's limit until it is recorded, so
        // outcomes are written sooner there (a batch of a cycle's slots, or every 100 ms).
        let shared = store.sharesFeeds
        let recorder = OutcomeRecorder(store: store, logger: poller.logger, batchSize: shared ? max(8, runtime.configuration.concurrency) : 200)
        var failure: (any Error)?
        var unpolled: [PollClaim] = []
        await withTaskGroup(of: Void.self) { cycle in
            // Batches are also written every half second (100 ms on a shared store), so a fast feed's
            // items do not wait for the cycle's slowest fetch before they are stored and cleaned.
            cycle.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(shared ? 100 : 500))
                    await recorder.flush()
                }
            }
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                var batch: [PollClaim] = []
                while !Task.isCancelled {
                    if batch.isEmpty {
                        do {
                            batch = try claiming()
                            while batch.isEmpty, !Task.isCancelled, try dueLeft() {
                                // Due feeds wait for their host's limits: this daemon's own unrecorded
                                // fetches give their slots back when recorded; other daemons' are waited
                                // for by a one-shot run only (a daemon's next cycle looks again, and its
                                // stages go on meanwhile).
                                let mine = health.inFlightFetches.load(ordering: .relaxed) > 0
                                await recorder.flush()
                                batch = try claiming()
                                if batch.isEmpty, !mine, !once { break }
                                if batch.isEmpty {
                                    try await Task.sleep(for: .milliseconds(mine ? 20 : 100))
                                    batch = try claiming()
                                }
                            }
                        } catch {
                            if !(error is CancellationError) { failure = error }
                            break
                        }
                        batch.reverse()  // taken from the end, in claim order
                    }
                    guard let claim = batch.popLast() else { break }
                    if running >= runtime.configuration.concurrency {
                        await group.next()
                        running -= 1
                    }
                    if Task.isCancelled {
                        batch.append(claim)
                        break
                    }
                    let feedOptions = options[claim.feed.name] ?? FeedPoller.PollOptions(interval: 900)
                    let health = self.health
                    group.addTask {
                        health.inFlightFetches.add(1, ordering: .relaxed)
                        defer { health.inFlightFetches.subtract(1, ordering: .relaxed) }
                        await poller.poll(claim, options: feedOptions, gate: hosts, recorder: recorder)
                    }
                    running += 1
                }
                unpolled = batch  // empty unless the cycle was cancelled
            }
            cycle.cancelAll()
        }
        // The last batch, also when cancelled: what was fetched is kept.
        await recorder.flush()
        // Claimed and not polled (a shutdown): given back, so other daemons need not wait for the lease.
        if !unpolled.isEmpty { try? store.release(unpolled) }
        if let failure { return failure }
        return await recorder.storageError
    }

    /// The due feeds taken one host at a time in turn, so the global slots are spread over hosts instead
    /// of queueing behind one host's limit.
    static func interleavedByHost<Feed>(_ feeds: [Feed], url: (Feed) -> String) -> [Feed] {
        var byHost: [String: [Feed]] = [:], order: [String] = []
        for feed in feeds {
            let host = HostGate.key(for: url(feed))
            if byHost[host] == nil { order.append(host) }
            byHost[host, default: []].append(feed)
        }
        var result: [Feed] = []
        result.reserveCapacity(feeds.count)
        var round = 0
        while result.count < feeds.count {
            for host in order where round < byHost[host]!.count { result.append(byHost[host]![round]) }
            round += 1
        }
        return result
    }

    /// Keeps the LSH index to the retention window, so its size follows the news rate, not the archive.
    func pruneIndex(now: Double, runtime: Runtime) throws {
        let days = runtime.configuration.retentionDays
        let pruned = try store.pruneIndex(createdBefore: now - Double(days) * 86_400, with: runtime.stages.deduplicator)
        if pruned > 0 {
            logger.info("dedup index pruned", metadata: ["dedup.pruned": .stringConvertible(pruned), "dedup.retention_days": .stringConvertible(days)])
        }
    }

    func report(_ counts: (cleaned: Int, deduplicated: Int)) throws {
        guard counts.cleaned + counts.deduplicated > 0 else { return }
        logger.info("stages advanced", metadata: [
            "stage.cleaned": .stringConvertible(counts.cleaned), "stage.deduplicated": .stringConvertible(counts.deduplicated),
        ])
    }

    func updateStatus(_ runtime: Runtime) throws {
        let c = try store.counts()
        PipelineMetrics.queue("clean", depth: c.pendingClean)
        PipelineMetrics.queue("dedup", depth: c.pendingDedup)
        PipelineMetrics.queue("webhook", depth: try store.outboxStatus().depth)
        try feedHealthMetrics.updateIfDue(store)
        guard let notifier else { return }
        notifier.send("STATUS=\(runtime.configuration.feeds.count) feeds, \(c.articles) articles, \(c.duplicates) duplicates, \(c.pendingClean + c.pendingDedup) pending")
    }
}

/// The error that stopped the pipeline, seen by the graceful shutdown that follows.
final class StoppedBy: Sendable {
    let error = Mutex<(any Error)?>(nil)
}

/// The pipeline stopped on an error (after its graceful shutdown); `reason` says when it was the database
/// that could not be written.
public struct PipelineStopped: Error, CustomStringConvertible {
    public var error: any Error
    public var reason: String?
    public var description: String { reason.map { "\($0) (\(error))" } ?? "\(error)" }
}
