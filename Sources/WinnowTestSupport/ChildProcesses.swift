import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts the processes a test (or a benchmark) runs so that they die with it, however it ends: a
/// failed `#require`, a trap (index out of range, `fatalError`) or a SIGKILL. An orphaned daemon would
/// hold swift-test's output pipe open, and the run would hang instead of failing.
///
/// How: every child starts as `setpriv --pdeathsig KILL -- PROGRAM ARGS...`. setpriv (util-linux,
/// Essential on Debian) sets the parent-death signal and then execs the program, so the child keeps
/// its PID and `Process.terminate()`, `kill(pid, ...)` and the exit status are the program's own. The
/// kernel sends that signal when the *thread* that forked the child exits, not the process; Foundation
/// forks on the thread that calls `run()`, and a cooperative-pool or detached thread may end long
/// before the child should. So every launch happens on one thread that lives as long as the process.
/// And should swift-test itself be killed, a process with children notices it is orphaned and exits.
public enum ChildProcesses {
    /// The trampoline that sets the parent-death signal (`man setpriv`, `--pdeathsig`).
    public static let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")

    /// Runs `process` (configured but not started) as a child that is SIGKILLed when this process ends.
    /// Throws, naming what to install, when setpriv is missing.
    public static func launch(_ process: Process) throws {
        guard let program = process.executableURL else { throw TestSupportError("launch: the process has no executableURL") }
        guard FileManager.default.isExecutableFile(atPath: setpriv.path) else {
            throw TestSupportError("\(setpriv.path) is missing: install util-linux (apt-get install util-linux); "
                + "tests start \(program.lastPathComponent) through it so that it dies with the test process")
        }
        process.executableURL = setpriv
        process.arguments = ["--pdeathsig", "KILL", "--", program.path] + (process.arguments ?? [])
        try LaunchThread.shared.perform { try process.run() }
    }
}

/// The one long-lived thread every child is forked from (see `ChildProcesses`).
private final class LaunchThread: @unchecked Sendable {
    static let shared = LaunchThread()

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        // The other way round: if swift-test itself is killed, this test process is orphaned and would
        // run on (its children with it) with no one reading its output. Once it has children, it
        // watches for that and exits, which takes the children with it.
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { Thread.sleep(forTimeInterval: 0.5) }
            FileHandle.standardError.write(Data("test process \(getpid()): its parent \(parent) is gone; exiting so its children die too\n".utf8))
            _exit(70)
        }
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
        thread.name = "winnow-test-launcher"
        thread.start()
    }

    /// Runs `body` on the launch thread and waits for it (a fork and an exec: milliseconds).
    func perform(_ body: @escaping () throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<Void, any Error> = .success(())
        condition.lock()
        jobs.append {
            outcome = Result { try body() }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        try outcome.get()
    }
}
