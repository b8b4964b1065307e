import Foundation
import WinnowFeeds

/// When a feed is polled next. After a success: its configured interval, lengthened (never shortened)
/// by what the server and the feed ask for: `Cache-Control: max-age`, `Expires`, RSS `ttl`. After a
/// failure: exponential backoff, or the server's `Retry-After` when that is longer. Every hint is capped,
/// so a server that asks for a week's rest, or a feed whose ttl is a year, is still polled daily, and a
/// feed is never given up.
struct PollSchedule: Sendable {
    /// The longest a failing feed waits before it is tried again.
    static let maxBackoff: Double = 6 * 3600
    /// The longest any server or feed hint may push a poll out.
    static let maxHint: Double = 24 * 3600
    /// Successful polls are spread by up to this fraction of the delay, so feeds configured together drift
    /// apart instead of hitting their servers in the same second forever.
    static let jitter = 0.05

    /// What a response and the feed it carried ask of the scheduler (seconds from the response).
    struct Hints: Sendable, Equatable {
        var retryAfter: Double?
        var freshFor: Double?
        var ttl: Double?
        /// Hours (GMT) and weekdays (0 = Sunday) the feed asks not to be polled in.
        var skipHours: Set<Int> = []
        var skipDays: Set<Int> = []
    }

    /// The hints in a response's headers (names lowercased); the feed's ttl is added once it is parsed.
    static func hints(headers: [String: String], now: Double) -> Hints {
        var hints = Hints()
        hints.retryAfter = headers["retry-after"].flatMap { delay(untilHTTPDate: $0, orSeconds: true, now: now) }
        if let control = headers["cache-control"]?.lowercased() {
            for directive in control.split(separator: ",") {
                let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.first == "max-age", parts.count == 2, let seconds = Double(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))) {
                    hints.freshFor = max(0, seconds)
                }
            }
        }
        // max-age wins over Expires (RFC 9111 5.3).
        if hints.freshFor == nil, let expires = headers["expires"] {
            hints.freshFor = delay(untilHTTPDate: expires, orSeconds: false, now: now) ?? 0  // an invalid Expires means already expired
        }
        return hints
    }

    /// A `Retry-After` or `Expires` value as seconds from `now`: delay-seconds (Retry-After only) or an
    /// HTTP date; nil when it is neither.
    static func delay(untilHTTPDate value: String, orSeconds: Bool, now: Double) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if orSeconds, !trimmed.isEmpty, trimmed.allSatisfy(\.isASCII), let seconds = Double(trimmed), seconds >= 0 { return seconds }
        return FeedDate.parse(trimmed, as: .rfc822).map { max(0, $0.timeIntervalSince1970 - now) }
    }

    /// `time`, or the start of the first hour after it that is neither a skipped hour nor on a skipped
    /// day. A feed that skips every hour of the week is polled anyway (a publisher's mistake).
    static func skipping(_ time: Double, hours: Set<Int>, days: Set<Int>) -> Double {
        guard !hours.isEmpty || !days.isEmpty, hours.count < 24, days.count < 7 else { return time }
        var t = time
        for _ in 0..<(24 * 7) {
            let hour = Int((t / 3600).rounded(.down))
            let (hourOfDay, weekday) = (hour % 24, (hour / 24 + 4) % 7)  // 1970-01-01 was a Thursday
            if !hours.contains(hourOfDay) && !days.contains(weekday) { return t }
            t = Double(hour + 1) * 3600
        }
        return time
    }

    /// How many of a feed's newest items its publishing rate is judged from.
    static let rateSample = 10

    /// The adaptive interval: half the typical gap between the feed's newest items (the median, so one
    /// burst or one quiet weekend does not decide it), or half the time since its newest item when that
    /// is longer (a feed that has gone quiet is polled less and less often), within `bounds`. Nil until
    /// three distinct item times are known.
    static func adaptiveInterval(publishedAt times: [Double], now: Double, bounds: ClosedRange<Double>) -> Double? {
        let newest = Array(Set(times.filter { $0 <= now + 3600 })).sorted(by: >).prefix(rateSample)
        guard newest.count >= 3 else { return nil }
        let gaps = zip(newest, newest.dropFirst()).map { $0 - $1 }.sorted()
        let typical = max(gaps[gaps.count / 2], now - newest[0])
        return min(max(typical / 2, bounds.lowerBound), bounds.upperBound)
    }

    /// The next poll time for a feed polled at `now`.
    static func next(after now: Double, interval: Double, succeeded: Bool, consecutiveErrors: Int, hints: Hints,
                     random: Double = Double.random(in: 0...1)) -> Double {
        if succeeded {
            let asked = max(hints.freshFor ?? 0, hints.ttl ?? 0)
            let delay = asked > interval ? min(asked, maxHint) : interval
            return skipping(now + delay * (1 + jitter * random), hours: hints.skipHours, days: hints.skipDays)
        }
        // Jitter below the backoff, so feeds that failed together do not retry together.
        let backoff = min(maxBackoff, max(interval, 60) * pow(2, Double(min(consecutiveErrors - 1, 20)))) * (0.9 + 0.1 * random)
        return now + max(backoff, min(hints.retryAfter ?? 0, maxHint))
    }
}
