import Synchronization

/// Wakes the daemon's loop early from its sleep (reload, fetch-now, pause and resume, a reprocess). A
/// wake-up sent while the loop is busy is kept for its next sleep, so none is lost.
///
/// Not an AsyncStream: a sleep that ends by its timer has to give up waiting for a wake-up, and
/// cancelling an AsyncStream's pending `next()` finishes the stream. Every later sleep then returned at
/// once and the daemon ran cycle after cycle at full CPU.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var lastID: UInt64 = 0
        /// A sleep cancelled before it began to wait.
        var cancelledID: UInt64?
    }
    private let state = Mutex(State())

    /// Ends the current sleep, or the next one if the loop is not sleeping.
    func wake() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else { s.pending = true; return nil }
            s.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Returns after `seconds`, at a wake-up, or when the task is cancelled, whichever is first.
    func sleep(seconds: Double) async {
        let id = state.withLock { s -> UInt64 in s.lastID += 1; return s.lastID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.pending || s.cancelledID == id {
                        s.pending = false
                        return true
                    }
                    s.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume(); return }
                Task { [weak self] in
                    try? await Task.sleep(for: .seconds(seconds))
                    self?.end(id)
                }
            }
        } onCancel: {
            end(id, cancelled: true)
        }
    }

    /// Ends sleep `id` if it is still waiting.
    private func end(_ id: UInt64, cancelled: Bool = false) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter, waiter.id == id else {
                if cancelled { s.cancelledID = id }
                return nil
            }
            s.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
