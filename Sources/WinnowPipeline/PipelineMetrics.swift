import Foundation
import Metrics
import WinnowStore

/// The pipeline's metrics, through swift-metrics (the executable chooses the backend). Names follow
/// Prometheus conventions; `winnowd` exports them as a node_exporter textfile.
enum PipelineMetrics {
    /// Fetches by outcome: `2xx`, `304`, `4xx`, `5xx`, or the error class (`timeout`, `dns`, `parse`, ...).
    static func fetch(outcome: String, seconds: Double) {
        Counter(label: "winnow_fetches_total", dimensions: [("outcome", outcome)]).increment()
        Timer(label: "winnow_fetch_duration_seconds").recordNanoseconds(Int64(seconds * 1e9))
    }

    /// A fetch not recorded because its lease was lost (PostgreSQL): counted, not timed.
    static func lostLease() {
        Counter(label: "winnow_fetches_total", dimensions: [("outcome", "lease-lost")]).increment()
    }

    /// Items entering a stage: `raw`, `clean`, `article`.
    static func items(_ stage: String, _ count: Int) {
        guard count > 0 else { return }
        Counter(label: "winnow_items_total", dimensions: [("stage", stage)]).increment(by: count)
    }

    /// Duplicates found: `exact` or `near`.
    static func duplicate(_ kind: String) {
        Counter(label: "winnow_duplicates_total", dimensions: [("kind", kind)]).increment()
    }

    /// How long one stage batch took.
    static func stage(_ stage: String, seconds: Double) {
        Timer(label: "winnow_stage_duration_seconds", dimensions: [("stage", stage)]).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Items waiting in a stage's queue.
    static func queue(_ stage: String, depth: Int) {
        Gauge(label: "winnow_queue_depth", dimensions: [("stage", stage)]).record(depth)
    }
}

/// Feed health as gauges: feeds by state, and for each failing feed the age of its last success
/// (`winnow_feed_last_success_age_seconds{feed=...}`; -1 when it never succeeded). A feed's series
/// is removed when it recovers, so the series count follows the failing feeds, not all feeds.
final class FeedHealthMetrics: @unchecked Sendable {
    // Used from the service loop only.
    private var failing: Set<String> = []
    private var lastUpdate = 0.0

    /// Updates at most every 15 s: reading every feed's state each cycle would cost a 100,000-feed
    /// daemon a scan a second for figures scraped once a minute.
    func updateIfDue(_ store: any InspectionStore, now: Double = Date().timeIntervalSince1970) throws {
        guard now - lastUpdate >= 15 else { return }
        lastUpdate = now
        update(try store.feedHealth(), now: now)
    }

    func update(_ feeds: [FeedHealth], now: Double = Date().timeIntervalSince1970) {
        var counts = Dictionary(uniqueKeysWithValues: FeedHealth.State.allCases.map { ($0, 0) })
        var nowFailing: Set<String> = []
        for feed in feeds {
            counts[feed.state, default: 0] += 1
            guard feed.state == .failing || feed.state == .hostResting else { continue }
            nowFailing.insert(feed.name)
            Gauge(label: "winnow_feed_last_success_age_seconds", dimensions: [("feed", feed.name)])
                .record(feed.lastSuccessAt.map { max(0, now - $0) } ?? -1)
        }
        for (state, count) in counts { Gauge(label: "winnow_feeds", dimensions: [("state", state.rawValue)]).record(count) }
        for name in failing.subtracting(nowFailing) {
            Gauge(label: "winnow_feed_last_success_age_seconds", dimensions: [("feed", name)]).destroy()
        }
        failing = nowFailing
    }
}
