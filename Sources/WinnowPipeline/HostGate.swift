import Foundation
import WinnowFetch

/// Per-host politeness: at most `connections` requests in flight to one host, at least `gap` seconds
/// between the starts of two requests to it, and a host that answered 429 or 503 is left alone until
/// the time it asked for, while other hosts go on. Hosts are told apart by name and port.
actor HostGate {
    let connections: Int
    let gap: Double

    private var inFlight: [String: Int] = [:]
    private var nextStart: [String: Double] = [:]
    private var restingUntil: [String: Double] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// How long one 429 or 503 rests a host when it gives no Retry-After, and the most any rest lasts
    /// (the feed itself is rescheduled by its own Retry-After; this only spares the host's other feeds).
    static let defaultRest: Double = 60
    static let maxRest: Double = 3600

    init(connections: Int = 2, gap: Double = 0.25) {
        self.connections = max(1, connections)
        self.gap = max(0, gap)
    }

    /// The host part of a URL (lowercased, with its port when it names one): the fetcher's own key, so the
    /// gate and the fetcher's send-time gap count the same hosts.
    nonisolated static func key(for url: String) -> String { hostKey(for: url) }

    /// Waits for a connection slot and the host's gap; returns the time the host rests until instead
    /// when it asked not to be bothered.
    func enter(_ host: String) async -> Double? {
        while true {
            let now = Date().timeIntervalSince1970
            if let until = restingUntil[host], until > now {
                wakeOne(host)  // this one took no slot: the next waiter learns the same
                return until
            }
            if inFlight[host, default: 0] < connections {
                let start = nextStart[host] ?? 0
                if start <= now {
                    inFlight[host, default: 0] += 1
                    // The gap is kept here for scheduling and again by the fetcher when the request is
                    // actually sent (a request's thread can start late, and the host must not see two
                    // requests closer than the gap).
                    nextStart[host] = now + gap
                    return nil
                }
                // Hold the slot's place by sleeping out the gap; re-check afterwards (another may have started).
                try? await Task.sleep(for: .seconds(start - now))
                continue
            }
            await withCheckedContinuation { waiting[host, default: []].append($0) }
        }
    }

    /// How many seconds an answer rests its host: `retryAfter` (or a minute, at most an hour) for 429
    /// and 503, nil for any other status.
    nonisolated static func restSeconds(status: Int?, retryAfter: Double?) -> Double? {
        status == 429 || status == 503 ? min(maxRest, max(retryAfter ?? defaultRest, 1)) : nil
    }

    /// Gives the slot back; `status` 429 or 503 rests the host for `retryAfter` (or a minute).
    func leave(_ host: String, status: Int?, retryAfter: Double?) {
        inFlight[host, default: 1] -= 1
        if let rest = Self.restSeconds(status: status, retryAfter: retryAfter) { self.rest(host, until: Date().timeIntervalSince1970 + rest) }
        if inFlight[host] == 0 { inFlight[host] = nil }
        wakeOne(host)
    }

    /// Leaves `host` alone until `until` (also when another daemon's 429 or 503 rests it).
    func rest(_ host: String, until: Double) {
        restingUntil[host] = max(restingUntil[host] ?? 0, until)
    }

    private func wakeOne(_ host: String) {
        guard var queue = waiting[host], !queue.isEmpty else { return }
        queue.removeFirst().resume()
        waiting[host] = queue.isEmpty ? nil : queue
    }
}
