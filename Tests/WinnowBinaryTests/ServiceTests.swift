import Foundation
import Testing
import WinnowStore
import WinnowTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real winnowd as systemd runs it: notify socket, watchdog, SIGHUP reloads, SIGTERM.
@Suite(.serialized) struct ServiceTests {
    func config(_ folder: URL, feeds: [String], interval: String = "1h") throws -> URL {
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let list = feeds.map { #"{"name": "\#($0)", "url": "file:\#(samples.path)/\#($0).xml", "interval": "\#(interval)"}"# }
        let url = folder.appendingPathComponent("pipeline.json")
        try #"{"feeds": [\#(list.joined(separator: ", "))]}"#.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func log(_ folder: URL) -> String {
        (try? String(contentsOf: folder.appendingPathComponent("logs/winnowd.log"), encoding: .utf8)) ?? ""
    }

    @Test func notifiesReadyStatusWatchdogAndStoppingInOrder() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let socket = try NotifySocket()
        let daemon = try startDaemon(try config(folder, feeds: ["harbour-gazette"]),
                               environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"])
        var messages: [String] = []
        // Read until the first cycle's STATUS and two watchdog pings are in (on a slow machine both
        // pings may come before the cycle ends).
        while let message = await socket.receive(timeout: 10) {
            messages.append(message)
            if messages.filter({ $0 == "WATCHDOG=1" }).count >= 2, messages.contains(where: { $0.hasPrefix("STATUS=") }) { break }
        }
        kill(daemon.processIdentifier, SIGTERM)
        while let message = await socket.receive(timeout: 10) {
            messages.append(message)
            if message == "STOPPING=1" { break }
        }
        await waitForExit(daemon)
        #expect(daemon.terminationStatus == 0)
        #expect(messages.first == "READY=1")
        #expect(messages.last == "STOPPING=1")
        let status = try #require(messages.first { $0.hasPrefix("STATUS=") })
        #expect(status.contains("1 feeds, 3 articles"))
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 2)
        #expect(messages.firstIndex(of: "READY=1")! < messages.firstIndex(of: "WATCHDOG=1")!)
    }

    @Test func sighupAppliesAChangedConfigurationAndRefusesAnInvalidOne() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configURL = try config(folder, feeds: ["harbour-gazette"])
        let daemon = try startDaemon(configURL)
        defer { daemon.terminate() }
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        try await waitUntil(timeout: 20) { (try? ArticleStore.openReadOnly(path: database).counts().articles) == 3 }

        // A changed file: one feed added, and it is polled without a restart.
        _ = try config(folder, feeds: ["harbour-gazette", "wire-digest"])
        kill(daemon.processIdentifier, SIGHUP)
        try await waitUntil(timeout: 20) { (try? ArticleStore.openReadOnly(path: database).counts().articles) == 5 }
        #expect(log(folder).contains(#""message":"configuration reloaded""#))
        #expect(log(folder).contains(#""feeds.added":["wire-digest"]"#))

        // An invalid file: refused with its error, the old configuration keeps running.
        try #"{"feeds": [{"name": "x", "url": "https://x.example/", "interval": "5x"}]}"#.write(to: configURL, atomically: true, encoding: .utf8)
        kill(daemon.processIdentifier, SIGHUP)
        try await waitUntil(timeout: 20) { self.log(folder).contains("configuration reload refused") }
        #expect(log(folder).contains(#"feeds[0].interval: \"5x\" is not a duration"#))
        #expect(daemon.isRunning)
        let feeds = try ArticleStore.openReadOnly(path: database).feeds()
        #expect(Set(feeds.filter(\.active).map(\.name)) == ["harbour-gazette", "wire-digest"])

        kill(daemon.processIdentifier, SIGTERM)
        await waitForExit(daemon)
        #expect(daemon.terminationStatus == 0)
    }
}
