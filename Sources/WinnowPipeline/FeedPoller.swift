import Foundation
import Logging
import WinnowFeeds
import WinnowFetch
import WinnowStore

/// Polls one feed: fetch (conditional), parse, and record outcome and items in one transaction.
/// A broken feed marks that feed (its error, backoff and fetch_log row); it never throws to the daemon.
public struct FeedPoller: Sendable {
    let source: FeedSource
    let store: any DaemonStore
    let logger: Logger

    var fetcher: Fetcher { source.fetcher }

    public init(fetcher: Fetcher, store: any DaemonStore, logger: Logger) {
        self.source = FeedSource(fetcher: fetcher)
        self.store = store
        self.logger = logger
    }

    /// What the configuration says about polling one feed.
    struct PollOptions: Sendable {
        var interval: Double
        var fullText = false
        var allowPrivateLinks = false
        /// Bounds for an interval taken from the feed's publishing rate; nil: `interval` always.
        var adaptive: ClosedRange<Double>?
    }

    /// Polls `feed` now; returns how many new items were stored. With a gate, waits for the host's turn
    /// first, and only postpones the feed (no fetch, no error) while its host rests after a 429 or 503.
    /// With `fullText`, each new item's link is fetched (after the feed's host slot is given back, each
    /// page through its own host's gate) and the page replaces the feed's text for the cleaner.
    /// With a `recorder`, the outcome joins its next batch (written and logged with it) and the count
    /// returned is 0; without one it is written and logged before this returns.
    @discardableResult
    func poll(_ feed: FeedState, options: PollOptions, gate: HostGate?, recorder: OutcomeRecorder? = nil) async -> Int {
        await poll(PollClaim(feed: feed), options: options, gate: gate, recorder: recorder)
    }

    /// Polls a claimed feed, and records the fetch under its lease.
    @discardableResult
    func poll(_ claim: PollClaim, options: PollOptions, gate: HostGate?, recorder: OutcomeRecorder? = nil) async -> Int {
        let feed = claim.feed
        let host = HostGate.key(for: feed.url)
        let gate = FeedSource.isLocal(feed.url) ? nil : gate
        if let gate, let until = await enter(host, gate: gate) {
            postpone(claim, host: host, until: until)
            return 0
        }
        let started = Date().timeIntervalSince1970
        let fetched = await source.fetch(feed.url, etag: feed.etag, lastModified: feed.lastModified)
        var (outcome, hints) = parse(fetched, of: feed, startedAt: started)
        outcome.durationMS = Int((Date().timeIntervalSince1970 - started) * 1000)
        if let gate { await leave(host, gate: gate, status: outcome.httpStatus, retryAfter: hints.retryAfter) }
        if options.fullText, outcome.succeeded, !outcome.items.isEmpty {
            outcome.items = await withFullText(outcome.items, of: feed, options: options, gate: gate)
        }
        outcome.nextFetchAt = nextPoll(feed, outcome, hints: hints, options: options, startedAt: started)
        return await record(claim, outcome, recorder: recorder)
    }

    /// Waits for a slot on `host` and its turn; returns the time the host rests until instead (nothing
    /// to send: the slot, if one was had, is given back), when this daemon's gate or, on a shared
    /// store, another daemon's 429 or 503 rests it.
    func enter(_ host: String, gate: HostGate) async -> Double? {
        if let until = await gate.enter(host) { return until }
        guard let rest = await waitForTurn(host, gap: gate.gap) else { return nil }
        let until = Date().timeIntervalSince1970 + rest
        await gate.rest(host, until: until)
        await gate.leave(host, status: nil, retryAfter: nil)
        return until
    }

    /// Gives the slot back after a request; a 429 or 503 rests the host, on a shared store for every daemon.
    func leave(_ host: String, gate: HostGate, status: Int?, retryAfter: Double?) async {
        await gate.leave(host, status: status, retryAfter: retryAfter)
        shareRest(host, status: status, retryAfter: retryAfter)
    }

    /// On a store several daemons share, waits for this daemon's turn on the host, `gap` after any
    /// daemon's previous request to it (taken once this daemon's own slot and gap are had, right before
    /// sending); returns the seconds the host still rests instead, when a daemon's 429 or 503 rests it.
    /// Should the database not answer, the daemon's own gap and rests stand.
    func waitForTurn(_ host: String, gap: Double) async -> Double? {
        guard store.sharesFeeds, let turn = try? store.takeTurn(host: host, gap: gap) else { return nil }
        if let rest = turn.restsFor { return rest }
        if turn.startsIn > 0 { try? await Task.sleep(for: .seconds(turn.startsIn)) }
        return nil
    }

    /// A 429 or 503 rests its host for the daemons sharing the store too, not only for this one.
    func shareRest(_ host: String, status: Int?, retryAfter: Double?) {
        guard store.sharesFeeds, let seconds = HostGate.restSeconds(status: status, retryAfter: retryAfter) else { return }
        do {
            try store.rest(host: host, for: seconds)
        } catch {
            logger.warning("could not tell the other daemons that a host asked for a rest; this daemon rests it", metadata: [
                "feed.host": "\(host)", "error": "\(error)",
            ])
        }
    }

    /// Moves the feed's next poll out while its host rests; nothing is fetched and no error counted.
    func postpone(_ claim: PollClaim, host: String, until: Double) {
        let feed = claim.feed
        do {
            try store.postpone(claim, until: until)
            logger.info("feed postponed: its host asked for a rest", metadata: [
                "feed.name": "\(feed.name)", "feed.host": "\(host)", "feed.next_fetch_in_s": .stringConvertible(Int(until - Date().timeIntervalSince1970)),
            ])
        } catch {
            logger.error("could not postpone the feed; it is polled again next cycle", metadata: ["feed.name": "\(feed.name)", "error": "\(error)"])
        }
    }

    /// When the feed is polled next: its interval (or the one its publishing rate suggests), the
    /// server's hints, and backoff after errors.
    func nextPoll(_ feed: FeedState, _ outcome: FetchOutcome, hints: PollSchedule.Hints, options: PollOptions, startedAt: Double) -> Double {
        var interval = options.interval
        if let bounds = options.adaptive, outcome.succeeded {
            // The stored items' times and this response's: a 304 is judged by what was seen before.
            let stored = (try? store.publishingTimes(feedID: feed.id, limit: PollSchedule.rateSample)) ?? []
            let times = stored + outcome.items.compactMap { $0.published?.timeIntervalSince1970 }
            interval = PollSchedule.adaptiveInterval(publishedAt: times, now: startedAt, bounds: bounds) ?? interval
        }
        return PollSchedule.next(after: startedAt, interval: interval, succeeded: outcome.succeeded,
                                 consecutiveErrors: feed.consecutiveErrors + 1, hints: hints)
    }

    /// Records the outcome with its items: in the recorder's next batch, or now (then returns the new items).
    func record(_ claim: PollClaim, _ outcome: FetchOutcome, recorder: OutcomeRecorder?) async -> Int {
        let feed = claim.feed
        if let recorder {
            await recorder.add(claim, outcome)
            return 0
        }
        do {
            guard let new = try store.record([(claim, outcome)])[0] else {
                Self.reportLostLease(feed, logger: logger)
                return 0
            }
            Self.report(feed, outcome, new: new, logger: logger)
            return new
        } catch {
            Self.reportFailure(feed, error: error, logger: logger)
            return 0
        }
    }

    /// Polls `feed` now, whatever its host's state; returns how many new items were stored.
    @discardableResult
    public func poll(_ feed: FeedState, interval: Double) async -> Int {
        await poll(feed, options: PollOptions(interval: interval), gate: nil)
    }

    /// Logs a recorded fetch and counts it in the metrics.
    static func report(_ feed: FeedState, _ outcome: FetchOutcome, new: Int, logger: Logger) {
        var log = logger
        log[metadataKey: "feed.name"] = "\(feed.name)"
        log[metadataKey: "feed.url"] = "\(feed.url)"
        let fetchOutcome = outcome.errorClass ?? (outcome.httpStatus == 304 ? "304" : "2xx")
        PipelineMetrics.fetch(outcome: fetchOutcome.hasPrefix("http-") ? String(fetchOutcome.dropFirst(5)) : fetchOutcome,
                              seconds: Double(outcome.durationMS) / 1000)
        PipelineMetrics.items("raw", new)
        if let error = outcome.error {
            log.warning("feed fetch failed", metadata: [
                "http.status": outcome.httpStatus.map { .stringConvertible($0) } ?? "none",
                "error.class": "\(outcome.errorClass ?? "")", "error": "\(error)",
                "feed.consecutive_errors": .stringConvertible(feed.consecutiveErrors + 1),
            ])
        } else {
            log.info("feed fetched", metadata: [
                "http.status": outcome.httpStatus.map { .stringConvertible($0) } ?? "none",
                "items.received": .stringConvertible(outcome.items.count), "items.new": .stringConvertible(new),
                "http.bytes": .stringConvertible(outcome.bytes), "duration_ms": .stringConvertible(outcome.durationMS),
            ])
        }
    }

    /// A fetch whose lease ran out before it was recorded, and which another daemon has claimed since:
    /// nothing of it was written (that daemon's fetch counts).
    static func reportLostLease(_ feed: FeedState, logger: Logger) {
        PipelineMetrics.lostLease()
        logger.warning("fetch not recorded: its lease ran out and another daemon has claimed the feed since", metadata: [
            "feed.name": "\(feed.name)", "feed.url": "\(feed.url)",
        ])
    }

    static func reportFailure(_ feed: FeedState, error: any Error, logger: Logger) {
        logger.error("could not record the fetch; the items stay unfetched and the feed is polled again", metadata: [
            "feed.name": "\(feed.name)", "feed.url": "\(feed.url)", "error": "\(error)",
        ])
    }

    /// The items with each new one's page as its content, where the page could be fetched; an item
    /// whose page fails keeps the feed's text (nothing is lost), and the failure is logged.
    func withFullText(_ items: [FeedItem], of feed: FeedState, options: PollOptions, gate: HostGate?) async -> [FeedItem] {
        let known = (try? store.knownGuids(feedID: feed.id, among: items.map(\.guid))) ?? []
        let wanted: [(index: Int, url: String)] = items.indices.compactMap { i in
            guard !known.contains(items[i].guid), let link = items[i].link, link.hasPrefix("http://") || link.hasPrefix("https://") else { return nil }
            return (i, link)
        }
        var items = items
        await withTaskGroup(of: (Int, String?).self) { group in
            var running = 0
            for (index, url) in wanted {
                if running >= 4, let (i, page) = await group.next() {  // four pages of one feed at a time
                    if let page { items[i].content = page }
                    running -= 1
                }
                group.addTask { (index, await self.page(url, of: feed, options: options, gate: gate)) }
                running += 1
            }
            for await (i, page) in group { if let page { items[i].content = page } }
        }
        return items
    }

    /// An item's page as text, or nil (logged) when it could not be had.
    func page(_ url: String, of feed: FeedState, options: PollOptions, gate: HostGate?) async -> String? {
        let host = HostGate.key(for: url)
        if let gate, await enter(host, gate: gate) != nil { return nil }  // its host rests: the feed's text stands
        let result: Result<FetchResponse, any Error>
        do { result = .success(try await fetcher.fetch(FetchRequest(url: url, allowPrivateAddresses: options.allowPrivateLinks))) } catch { result = .failure(error) }
        if let gate { await leave(host, gate: gate, status: try? result.get().status, retryAfter: nil) }
        do {
            let response = try result.get()
            guard response.isSuccess else {
                throw FetchFailure(errorClass: "http-\(response.status / 100)xx", message: "HTTP \(response.status) from \(url)")
            }
            return String(data: response.body, encoding: .utf8) ?? String(decoding: response.body, as: UTF8.self)
        } catch {
            logger.notice("article page not fetched; the feed's text is kept", metadata: [
                "feed.name": "\(feed.name)", "article.url": "\(url)", "error": "\(error)",
            ])
            return nil
        }
    }

    /// The fetch as an outcome to record, with its items parsed, and what the response and the feed ask
    /// of the scheduler.
    func parse(_ fetched: FeedFetch, of feed: FeedState, startedAt: Double) -> (FetchOutcome, PollSchedule.Hints) {
        var outcome = FetchOutcome(startedAt: startedAt, durationMS: 0, httpStatus: fetched.status, bytes: fetched.bytes, nextFetchAt: 0)
        var hints = fetched.headers.isEmpty ? PollSchedule.Hints() : PollSchedule.hints(headers: fetched.headers, now: startedAt)
        if let failure = fetched.failure {
            outcome.errorClass = failure.errorClass
            outcome.error = failure.message
            return (outcome, hints)
        }
        guard let body = fetched.body else { return (outcome, hints) }  // 304: nothing new
        outcome.etag = fetched.etag
        outcome.lastModified = fetched.lastModified
        if let moved = fetched.permanentURL {
            outcome.newURL = moved
            logger.notice("feed moved permanently; polling its new URL from now on", metadata: [
                "feed.name": "\(feed.name)", "feed.url": "\(feed.url)", "feed.new_url": "\(moved)",
            ])
        }
        outcome.bytes = body.count
        do {
            let result = try FeedParser.parse(body, contentType: fetched.contentType, url: fetched.baseURL, contentLocation: fetched.contentLocation)
            outcome.items = result.feed.items
            hints.ttl = result.feed.ttlMinutes.map { Double(max(0, $0)) * 60 }
            hints.skipHours = result.feed.skipHours
            hints.skipDays = result.feed.skipDays
            if let reason = result.bozoReason {
                logger.notice("feed is malformed; items read before the error were kept",
                              metadata: ["feed.name": "\(feed.name)", "feed.bozo": "\(reason)"])
            }
        } catch {
            // Keep the validators out so the next poll fetches the body again instead of a 304.
            outcome.etag = nil
            outcome.lastModified = nil
            outcome.errorClass = "parse"
            outcome.error = "\(error)"
        }
        return (outcome, hints)
    }
}

/// Fetch outcomes written a batch at a time, in one transaction each: a poll cycle of 10,000 feeds made
/// 10,000 commits, and waiting on the writer held the cooperative threads the fetches resume on. A crash
/// loses at most the batch in hand, which is harmless: those feeds keep their old state and are fetched
/// again (their validators make it a 304 when nothing changed).
actor OutcomeRecorder {
    let store: any DaemonStore
    let logger: Logger
    let batchSize: Int
    private var pending: [(claim: PollClaim, outcome: FetchOutcome)] = []
    /// The last write that failed because of the disk (see `ArticleStore.storageTrouble`), for the
    /// service to act on; such a failure is logged once per batch, not once per feed.
    private(set) var storageError: (any Error)?

    init(store: any DaemonStore, logger: Logger, batchSize: Int = 200) {
        self.store = store
        self.logger = logger
        self.batchSize = batchSize
    }

    func add(_ claim: PollClaim, _ outcome: FetchOutcome) {
        pending.append((claim, outcome))
        if pending.count >= batchSize { flush() }
    }

    /// Writes what is in hand and logs each fetch.
    func flush() {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        do {
            let counts = try store.record(batch)
            for (entry, new) in zip(batch, counts) {
                if let new {
                    FeedPoller.report(entry.claim.feed, entry.outcome, new: new, logger: logger)
                } else {
                    FeedPoller.reportLostLease(entry.claim.feed, logger: logger)
                }
            }
        } catch where ArticleStore.storageTrouble(in: error) != nil {
            storageError = error
            logger.error("could not record a batch of fetches; those feeds are fetched again once the database can be written", metadata: [
                "fetches": .stringConvertible(batch.count), "error": "\(error)",
            ])
        } catch {
            for entry in batch { FeedPoller.reportFailure(entry.claim.feed, error: error, logger: logger) }
        }
    }
}
