import Foundation
import Synchronization

extension PipelineService {
    /// Runs `poll` while the stages take what it has stored so far through cleaning and dedup, on a
    /// thread of their own, then drains what is left. Polling is bounded by the hosts' gaps and leaves
    /// most of a core idle; the stages after it ran on their own for a third of a first cycle.
    func pollingWithStages(_ runtime: Runtime, _ poll: () async -> (any Error)?) async throws {
        let stages = runtime.stages
        let polling = PollingFlag()
        // At nice 10: the stages take only the CPU polling leaves (at normal priority they slowed polling
        // from 3.1-4.2 s to 5.3-7.7 s and the cycle gained nothing).
        let staged = Background(lowPriority: true) { Result { () throws -> (cleaned: Int, deduplicated: Int) in
            var total = (cleaned: 0, deduplicated: 0)
            while polling.isOn {
                let step = try stages.drainStep()
                total.cleaned += step.cleaned.count
                total.deduplicated += step.stored.count
                // Nothing stored yet: the recorder writes a batch every half second.
                if step.isEmpty { Thread.sleep(forTimeInterval: 0.1) }
            }
            return total
        } }
        let error = await poll()
        polling.turnOff()
        // Waited for on a thread of its own: the step under way may take a few hundred milliseconds,
        // and the cooperative threads are the pollers'.
        let result = await withCheckedContinuation { done in
            Thread { done.resume(returning: staged.wait()) }.start()
        }
        try report(try result.get())
        if let error { throw error }
        try report(stages.drain())
    }
}

/// Whether a cycle's polling is still under way, as its stage thread sees it.
final class PollingFlag: Sendable {
    private let on = Atomic<Bool>(true)
    var isOn: Bool { on.load(ordering: .acquiring) }
    func turnOff() { on.store(false, ordering: .releasing) }
}
