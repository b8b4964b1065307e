import Foundation

/// Runs `body(0..<count)` at once, each on a thread of its own, and waits for all: a race needs
/// both sides running together (concurrentPerform on a busy pool may run them one after the other).
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let done = DispatchGroup()
    for i in 0..<count {
        done.enter()
        Thread.detachNewThread {
            body(i)
            done.leave()
        }
    }
    done.wait()
}
