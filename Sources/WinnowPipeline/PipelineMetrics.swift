import Metrics

/// The pipeline's metrics, through swift-metrics (the executable chooses the backend). Names follow
/// Prometheus conventions; `winnowd` exports them as a node_exporter textfile.
enum PipelineMetrics {
    /// Fetches by outcome: `2xx`, `304`, `4xx`, `5xx`, or the error class (`timeout`, `dns`, `parse`, ...).
    static func fetch(outcome: String, seconds: Double) {
        Counter(label: "winnow_fetches_total", dimensions: [("outcome", outcome)]).increment()
        Timer(label: "winnow_fetch_duration_seconds").recordNanoseconds(Int64(seconds * 1e9))
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
