import Foundation
import Testing
import WinnowTestSupport

@Suite struct LogsCommandTests {
    static func line(_ time: String, _ level: String, _ message: String, feed: String? = nil, status: Int? = nil) -> String {
        var object: [String: Any] = ["time": time, "level": level, "message": message, "logger": "winnowd"]
        if let feed { object["feed.name"] = feed }
        if let status { object["http.status"] = status }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func filtersByLevelFeedAndTimeForPeopleAndScripts() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("winnowd.log")
        let lines = [
            Self.line("2020-01-01T00:00:00.000Z", "warning", "old warning", feed: "a"),
            Self.line("2099-01-01T00:00:00.000Z", "info", "feed fetched", feed: "a", status: 200),
            Self.line("2099-01-01T00:00:01.000Z", "warning", "feed fetch failed", feed: "a", status: 500),
            Self.line("2099-01-01T00:00:02.000Z", "error", "feed fetch failed", feed: "b", status: 503),
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        let winnowctl = try TestPaths.binary("winnowctl")

        let warnings = try await runProcess(winnowctl, ["logs", "--file", log.path, "--level", "warning", "--feed", "a", "--since", "1h"])
        #expect(warnings.status == 0, "\(warnings.stderr)")
        let shown = warnings.stdout.split(separator: "\n")
        #expect(shown.count == 1)
        #expect(shown.first?.contains("warning  feed fetch failed  feed.name=a http.status=500") == true)

        let json = try await runProcess(winnowctl, ["logs", "--file", log.path, "--json", "--level", "error"])
        #expect(json.stdout == lines[3] + "\n")

        let bad = try await runProcess(winnowctl, ["logs", "--file", log.path, "--level", "loud"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--level loud is not one of"))
    }

    @Test func followPrintsNewLinesAcrossARotation() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("winnowd.log")
        try (Self.line("2099-01-01T00:00:00.000Z", "info", "first") + "\n").write(to: log, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = try TestPaths.binary("winnowctl")
        process.arguments = ["logs", "-f", "--file", log.path, "--json"]
        let output = Pipe()
        process.standardOutput = output
        try ChildProcesses.launch(process)
        defer { process.terminate() }

        var seen = ""
        func read(until text: String) async {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline, !seen.contains(text) {
                // Bounded: a follower that prints nothing more must fail the test, not hang it.
                let chunk = await availableData(output.fileHandleForReading, timeout: max(0, deadline.timeIntervalSinceNow))
                seen += String(decoding: chunk, as: UTF8.self)
            }
        }
        // Once the reader has the file open, a line goes to it and the file is rotated at once:
        // the line written just before the rotation must not be lost.
        await read(until: "first")

        func append(_ text: String, to url: URL) throws {
            let handle = try FileHandle(forWritingTo: url)
            handle.seekToEndOfFile()
            handle.write(Data((text + "\n").utf8))
            try handle.close()
        }
        try append(Self.line("2099-01-01T00:00:01.000Z", "info", "second"), to: log)
        // Rotation, as LogSink does it: the file moves to .1 and a new one starts.
        try FileManager.default.moveItem(at: log, to: folder.appendingPathComponent("winnowd.log.1"))
        try (Self.line("2099-01-01T00:00:02.000Z", "info", "third") + "\n").write(to: log, atomically: true, encoding: .utf8)

        await read(until: "third")
        #expect(seen.contains("\"first\""))
        #expect(seen.contains("\"second\""))
        #expect(seen.contains("\"third\""))
    }
}
