import Foundation
import WinnowPipeline
import WinnowStore

/// Why a feed's next poll is when it is, inferred from what the store keeps (the feed's state and last
/// poll) and the configuration (its interval and adaptive bounds). The scheduler does not store its
/// reason, so a lengthened interval is said to be a server hint (max-age, Expires, ttl) or the adaptive
/// rule, whichever the configuration allows.
enum NextPollReason {
    static func explain(_ feed: FeedState, configured: PipelineConfiguration.Feed?, now: Double) -> String {
        guard feed.active else { return "not polled: no longer in the configuration" }
        if feed.paused { return "not polled: paused (winnowctl resume \(feed.name))" }
        guard let last = feed.lastFetchAt else { return "first poll" }
        if feed.nextFetchAt <= now { return "due now" }
        let gap = feed.nextFetchAt - last
        if feed.consecutiveErrors > 0 {
            if feed.lastStatus == 429 || feed.lastStatus == 503 {
                return "host resting: the server answered \(feed.lastStatus!) (Retry-After or backoff after \(feed.consecutiveErrors) failure\(feed.consecutiveErrors == 1 ? "" : "s"))"
            }
            return "backoff after \(feed.consecutiveErrors) failed poll\(feed.consecutiveErrors == 1 ? "" : "s") (\(duration(gap)))"
        }
        guard let configured else { return "every \(duration(gap))" }
        if let adaptive = configured.adaptive {
            return "adaptive: \(duration(gap)) from the feed's publishing rate (bounds \(duration(adaptive.lowerBound))–\(duration(adaptive.upperBound)))"
        }
        // Jitter spreads a successful poll by up to 5%; more than that is a server's or the feed's hint.
        if gap > configured.interval * 1.06 + 1 {
            return "server hint: \(duration(gap)) instead of the interval \(duration(configured.interval)) (Cache-Control max-age, Expires or the feed's ttl)"
        }
        return "interval \(duration(configured.interval))"
    }

    static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: return "\(Int(seconds.rounded()))s"
        case ..<7200: return "\(Int((seconds / 60).rounded()))m"
        case ..<172_800: return "\(Int((seconds / 3600).rounded()))h"
        default: return "\(Int((seconds / 86_400).rounded()))d"
        }
    }
}
