import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where tests find the repository, the shared corpora and the built binaries.
public enum TestPaths {
    /// The repository root (this file is Sources/WinnowTestSupport/TestPaths.swift).
    public static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// ../shared beside the repository: seeds and corpora are read in place, never copied.
    public static let shared: URL = repository.deletingLastPathComponent().appendingPathComponent("shared")

    /// `../shared/<relative>` (a file or a folder), or an error that names the missing path and what to
    /// do: a test that needs the shared data fails with that one message instead of an empty list.
    public static func requireShared(_ relative: String) throws -> URL {
        let url = shared.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let what = FileManager.default.fileExists(atPath: shared.path) ? url.path : shared.path
            throw TestSupportError("\(what) is missing: the tests read ../shared (seeds/ and corpus/) beside the checkout "
                + "(\(repository.path)), in place; put the shared folder (or a link to it) at \(shared.path)")
        }
        return url
    }

    /// The seed articles, ../shared/seeds/*.txt in name order; throws naming the folder when it is
    /// missing or holds none.
    public static func seeds() throws -> [URL] {
        let folder = try requireShared("seeds")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".txt") }.sorted()
        guard !names.isEmpty else { throw TestSupportError("\(folder.path) holds no .txt seed articles") }
        return names.map { folder.appendingPathComponent($0) }
    }

    /// A built executable of this package (`make test` builds them before the tests run).
    public static func binary(_ name: String) throws -> URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [testBinary.deletingLastPathComponent().appendingPathComponent(name)]
        // Inside an .xctest bundle the binaries sit beside the bundle.
        candidates.append(testBinary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(name))
        candidates.append(repository.appendingPathComponent(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestSupportError("\(name) is not built: run `swift build` (or `make test`) first; looked in \(candidates.map(\.path))")
        }
        return found
    }

    /// A fresh temporary folder for one test.
    public static func temporaryFolder(_ label: String = "winnow") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a binary to completion and returns its exit status and output. The waiting happens on a
/// thread of its own: blocking the cooperative pool (two threads on a 2-core machine) would stall
/// every other test running in parallel. The child dies with the test process (`ChildProcesses`), and
/// is killed (SIGKILL, so its status says so) if it runs longer than `timeout` seconds.
public func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                       currentDirectory: URL? = nil, timeout: Double = 300) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result {
                try runProcessBlocking(executable, arguments, environment: environment, currentDirectory: currentDirectory, timeout: timeout)
            })
        }
    }
}

/// Starts the built winnowd on a configuration in the background (stderr silenced; the log file
/// holds the same lines). `environment` adds to this process's environment. The daemon dies with the
/// test process, however that ends (`ChildProcesses`).
public func startDaemon(_ config: URL, environment: [String: String] = [:]) throws -> Process {
    let daemon = Process()
    daemon.executableURL = try TestPaths.binary("winnowd")
    daemon.arguments = ["--config", config.path]
    daemon.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    daemon.standardError = FileHandle.nullDevice
    try ChildProcesses.launch(daemon)
    return daemon
}

/// Waits for a process to exit without blocking the cooperative pool. A process still running after
/// `timeout` seconds is killed (SIGKILL) so the test goes on and fails on its exit status instead of
/// hanging; returns whether it had exited by itself.
@discardableResult
public func waitForExit(_ process: Process, timeout: Double = 60) async -> Bool {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            let exited = !process.isRunning
            if !exited {
                FileHandle.standardError.write(Data("waitForExit: pid \(process.processIdentifier) still running after \(timeout) s; killing it\n".utf8))
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            continuation.resume(returning: exited)
        }
    }
}

/// What is readable on `handle` within `timeout` seconds: some bytes, or empty on end of file or when
/// nothing came in time (`availableData` alone would block for ever on a silent process).
public func availableData(_ handle: FileHandle, timeout: Double) async -> Data {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            var descriptor = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(timeout * 1000))
            continuation.resume(returning: ready > 0 ? handle.availableData : Data())
        }
    }
}

/// Polls `condition` until it holds or `timeout` seconds pass. The condition is asked once more after
/// the deadline: on a loaded machine the suite's many tests can keep this task from waking for tens of
/// seconds, and a condition that came true meanwhile must not fail the test.
public func waitUntil(timeout: Double, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return }
        if Date() >= deadline { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestSupportError("condition not met within \(timeout) s")
}

func runProcessBlocking(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                        currentDirectory: URL? = nil, timeout: Double) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try ChildProcesses.launch(process)
    Thread.detachNewThread {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            FileHandle.standardError.write(Data("runProcess: \(executable.lastPathComponent) still running after \(timeout) s; killing it\n".utf8))
            kill(process.processIdentifier, SIGKILL)
        }
    }
    // Read both pipes before waiting, so a chatty process cannot block on a full pipe.
    let errData = Mutex(Data())
    let errReader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
    errReader.start()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while errReader.isExecuting || !errReader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: errData.withLock { $0 }, as: UTF8.self))
}
