import ArgumentParser
import Foundation
import WinnowPipeline
import WinnowPostgres
import WinnowStore

/// `winnowctl status`: per-feed health and per-stage counts, from the database (works with the daemon down).
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show per-feed state and per-stage counts.")

    @OptionGroup var database: DatabaseOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        var feeds: [FeedState]
        var stages: StageCounts
        var today: Today
        struct Today: Encodable { var articles: Int; var duplicates: Int }
        /// What only the running daemon knows; absent when it is not running.
        var daemon: LiveStatus?
        /// Webhook deliveries owed, delivered, and the last failure.
        var webhooks: OutboxStatus
        /// Per feed: why its next poll is when it is.
        var next_poll: [String: String]
        /// Active feeds by state (ok, failing, paused, host-resting) and each failing feed's last success.
        var health: [FeedHealth]
        /// On a shared PostgreSQL store: the processes whose heartbeat is recent, with the leases they hold.
        var daemons: [DaemonState]?
    }

    func run() throws {
        let store = try database.openStore()
        let feeds = try store.feeds()
        let counts = try store.counts()
        let today = try store.today()
        let outbox = try store.outboxStatus()
        let health = try store.feedHealth()
        let daemons = try (store as? PostgresStore)?.liveDaemons()
        let now = Date().timeIntervalSince1970
        let configured = database.db == nil && FileManager.default.fileExists(atPath: database.config)
            ? (try? PipelineConfiguration.load(path: database.config)).map { Dictionary($0.feeds.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) } ?? [:]
            : [:]
        let reasons = Dictionary(feeds.map { ($0.name, NextPollReason.explain($0, configured: configured[$0.name], now: now)) }, uniquingKeysWith: { a, _ in a })
        // The database answers with the daemon down; the daemon adds what only it knows.
        let live = database.db == nil && FileManager.default.fileExists(atPath: database.config)
            ? (try? PipelineConfiguration.load(path: database.config)).flatMap { try? ControlClient.send(ControlRequest(command: "status"), to: $0.controlSocketPath, timeout: 2) }?.status
            : nil
        if json { return try printJSON(Output(feeds: feeds, stages: counts, today: .init(articles: today.articles, duplicates: today.duplicates), daemon: live, webhooks: outbox, next_poll: reasons, health: health, daemons: daemons)) }
        if let live {
            print("winnowd running (pid \(live.pid)) for \(relative(-live.uptimeSeconds).replacingOccurrences(of: " ago", with: "")), \(live.inFlightFetches) fetches in flight" +
                  (live.cycleRunningSeconds.map { ", cycle running \(Int($0)) s" } ?? ", idle"))
            if let trouble = live.storageTrouble {
                print("PAUSED: \(trouble); polling and the stages resume by themselves once the database can be written")
            }
        } else if let daemons {
            print("shared store: \(daemons.count) live process\(daemons.count == 1 ? "" : "es") (heartbeat within three beats)")
            printTable(header: ["ID", "HOST", "PID", "STARTED", "HEARTBEAT", "LEASES"], rows: daemons.map {
                [$0.id, $0.host, String($0.pid), relative($0.startedAt - now), relative($0.heartbeatAt - now), String($0.leases)]
            })
        } else {
            print("winnowd not reachable: showing the database only")
        }
        print("")
        let rows = feeds.map { f -> [String] in
            [f.name + (f.active ? "" : " (removed)") + (f.paused ? " (paused)" : ""),
             f.lastFetchAt.map { relative($0 - now) } ?? "never",
             f.lastStatus.map(String.init) ?? "-",
             f.active && !f.paused ? relative(f.nextFetchAt - now) : "-",
             String(f.consecutiveErrors),
             String(f.items),
             reasons[f.name] ?? "",
             f.lastError.map { ellipsize($0, 60) } ?? ""]
        }
        printTable(header: ["FEED", "LAST FETCH", "STATUS", "NEXT", "ERRORS", "ITEMS", "WHY NEXT", "LAST ERROR"], rows: rows)
        let byState = Dictionary(grouping: health, by: \.state)
        print("")
        print("feeds: " + FeedHealth.State.allCases.map { "\(byState[$0]?.count ?? 0) \($0.rawValue)" }.joined(separator: " · "))
        let failing = health.filter { $0.state == .failing || $0.state == .hostResting }
        // Longest-failing first; a screenful, the rest counted (--json has them all).
        for feed in failing.sorted(by: { ($0.lastSuccessAt ?? 0) < ($1.lastSuccessAt ?? 0) }).prefix(20) {
            print("  \(feed.name): \(feed.state.rawValue), \(feed.consecutiveErrors) failed poll\(feed.consecutiveErrors == 1 ? "" : "s") in a row, last success "
                  + (feed.lastSuccessAt.map { relative($0 - now) } ?? "never"))
        }
        if failing.count > 20 { print("  ... and \(failing.count - 20) more (winnowctl status --json lists them all)") }
        print("")
        print("stages: raw \(counts.raw) · clean \(counts.clean) · articles \(counts.articles) · clusters \(counts.clusters) · duplicates \(counts.duplicates)")
        print("pending: clean \(counts.pendingClean) · dedup \(counts.pendingDedup)")
        let rate = today.articles == 0 ? 0 : Double(today.duplicates) / Double(today.articles) * 100
        print("today (UTC): \(today.articles) articles, \(today.duplicates) duplicates (\(String(format: "%.1f", rate))%)")
        if outbox.depth > 0 || outbox.delivered > 0 || outbox.lastError != nil {
            var line = "webhooks: \(outbox.depth) owed"
            if let oldest = outbox.oldestCreatedAt { line += " (oldest enqueued \(relative(oldest - now)))" }
            line += ", \(outbox.delivered) delivered"
            print(line)
            if let error = outbox.lastError {
                print("  last delivery error\(outbox.lastErrorAt.map { " (\(relative($0 - now)))" } ?? ""): \(ellipsize(error, 120))")
            }
        }
    }
}

/// "3m ago", "in 12m".
func relative(_ seconds: Double) -> String {
    let magnitude = abs(seconds)
    let text: String
    switch magnitude {
    case ..<60: text = "\(Int(magnitude))s"
    case ..<3600: text = "\(Int(magnitude / 60))m"
    case ..<86_400: text = "\(Int(magnitude / 3600))h"
    default: text = "\(Int(magnitude / 86_400))d"
    }
    if magnitude < 1 { return "now" }
    return seconds < 0 ? "\(text) ago" : "in \(text)"
}

func printTable(header: [String], rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
}
