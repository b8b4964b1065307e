import Foundation
import Testing
import WinnowTestSupport

/// What keeps the suite from hanging (see `ChildProcesses`): the checks that can run inside the suite.
/// That a crashing test really takes its daemon with it was checked by hand (a throw-away test that
/// starts winnowd and then traps; issue 20's closing note).
@Suite struct ChildProcessTests {
    /// setpriv --dump reports the parent-death signal it runs with.
    @Test func everyChildRunsWithParentDeathSignalKILL() async throws {
        let run = try await runProcess(URL(fileURLWithPath: "/usr/bin/setpriv"), ["--dump"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Parent death signal: KILL"), "\(run.stdout)")
    }

    /// The signal is tied to the thread that forked the child: a child launched from a thread that then
    /// ends must live on (a daemon started from a short-lived thread would otherwise die at once).
    @Test func aChildOutlivesTheThreadThatAskedForIt() async throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        // Long enough to outlast the suite's stalls on a loaded machine (this test once resumed from
        // its half-second sleep 42 s later, after a 30 s child had ended on its own).
        child.arguments = ["600"]
        let launched: Result<Void, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Result { try ChildProcesses.launch(child) }) }
        }
        try launched.get()
        defer { child.terminate() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(child.isRunning)
    }
}
