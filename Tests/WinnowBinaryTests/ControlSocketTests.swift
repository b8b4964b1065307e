import Foundation
import Testing
import WinnowPipeline
@testable import WinnowStore
import WinnowTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// winnowctl and raw clients against the control socket of a real winnowd.
@Suite(.serialized) struct ControlSocketTests {
    @Test func winnowctlPausesResumesFetchesAndReadsLiveStatus() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        try """
            {"feeds": [{"name": "harbour", "url": "file:\(samples.path)/harbour-gazette.xml", "interval": "1h"},
                       {"name": "wire", "url": "file:\(samples.path)/wire-digest.xml", "interval": "1h"}]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = try startDaemon(config)
        defer { daemon.terminate() }
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        try await waitUntil(timeout: 20) { (try? ArticleStore.openReadOnly(path: database).counts().articles) == 5 }
        let winnowctl = try TestPaths.binary("winnowctl")
        let socket = folder.appendingPathComponent("state/winnowd.sock").path

        // The socket is the service's own: mode 0660.
        let mode = (try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o660)

        let status = try await runProcess(winnowctl, ["status", "--config", config.path, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let live = try #require(json["daemon"] as? [String: Any], "\(status.stdout)")
        #expect(live["pid"] as? Int == Int(daemon.processIdentifier))
        #expect((live["nextDue"] as? [String: Double])?.count == 2)

        let pause = try await runProcess(winnowctl, ["pause", "wire", "--config", config.path])
        #expect(pause.stdout == "wire paused\n", "\(pause.stderr)")
        let fetches = try ArticleStore.openReadOnly(path: database).scalar("SELECT count(*) FROM fetch_log")
        let fetchNow = try await runProcess(winnowctl, ["fetch-now", "--all", "--config", config.path])
        #expect(fetchNow.stdout == "2 feeds due now\n", "\(fetchNow.stderr)")
        // Only the feed that is not paused is fetched.
        try await waitUntil(timeout: 20) { (try? ArticleStore.openReadOnly(path: database).scalar("SELECT count(*) FROM fetch_log")) == fetches + 1 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try ArticleStore.openReadOnly(path: database).scalar("SELECT count(*) FROM fetch_log") == fetches + 1)
        let table = try await runProcess(winnowctl, ["status", "--config", config.path])
        #expect(table.stdout.contains("wire (paused)"))
        #expect(table.stdout.contains("winnowd running (pid \(daemon.processIdentifier))"))

        #expect(try await runProcess(winnowctl, ["resume", "wire", "--config", config.path]).stdout == "wire resumed\n")
        let unknown = try await runProcess(winnowctl, ["pause", "nope", "--config", config.path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no feed named nope"))
        let reload = try await runProcess(winnowctl, ["reload", "--config", config.path])
        #expect(reload.stdout.contains("reloading"))

        // Malformed and oversized requests get error replies; the daemon goes on answering.
        #expect(try exchange(socket, Data("{\"command\": \"status\"\n".utf8)).contains(#""error":"not a request"#))
        #expect(try exchange(socket, Data(repeating: 0x7B, count: ControlServer.maxLineBytes + 1)).contains("longer than"))
        #expect(try exchange(socket, Data("{\"command\": \"fetch-now\"}\n".utf8)).contains("fetch-now needs a feed name or all"))
        #expect(try ControlClient.send(ControlRequest(command: "status"), to: socket).status?.pid == daemon.processIdentifier)

        kill(daemon.processIdentifier, SIGTERM)
        await waitForExit(daemon)
        #expect(daemon.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: socket))
        // With the daemon down, status still reads the database.
        let down = try await runProcess(winnowctl, ["status", "--config", config.path])
        #expect(down.status == 0)
        #expect(down.stdout.contains("winnowd not reachable"))
    }

    @Test func malformedOversizedAndUnknownRequestsGetErrorsAndHarmNothing() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let socket = folder.appendingPathComponent("control.sock").path
        let server = try ControlServer(path: socket) { request in
            request.command == "status" ? .success("fine") : .failure("unknown command \(request.command)")
        }
        defer { server.stop() }

        #expect(try exchange(socket, Data("not json at all\n".utf8)).contains(#""error":"not a request"#))
        #expect(try exchange(socket, Data("{\"command\": 7}\n".utf8)).contains(#""ok":false"#))
        #expect(try exchange(socket, Data("{\"command\":\"explode\"}\n".utf8)).contains("unknown command explode"))
        #expect(try exchange(socket, Data(repeating: UInt8(ascii: "x"), count: ControlServer.maxLineBytes + 10)).contains("longer than"))
        #expect(try exchange(socket, Data([0xFF, 0x00, 0xFE, 0x0A])).contains(#""ok":false"#))
        // A flood on one connection is slowed down, not served.
        let flood = try exchange(socket, Data(String(repeating: "{\"command\":\"status\"}\n", count: ControlServer.maxRequestsPerSecond + 20).utf8))
        #expect(flood.contains("fine"))
        // After all that, a good request is still answered.
        let response = try ControlClient.send(ControlRequest(command: "status"), to: socket)
        #expect(response.ok && response.message == "fine")
    }
}

/// Sends raw bytes to a control socket and returns the first reply line (as a client that does not
/// follow the protocol would).
func exchange(_ socket: String, _ payload: Data) throws -> String {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socket.utf8)) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + socket.utf8.count)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var received = [UInt8]()
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
            if received.last == 0x0A { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

/// Who may talk to the control socket, as the kernel reports the peer.
@Suite struct ControlPeerTests {
    @Test func thePeerIsReadFromTheKernel() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        let peer = try #require(ControlServerPolicy.peer(of: pair[0]))
        #expect(peer.uid == getuid() && peer.gid == getgid())
        #expect(ControlServerPolicy.peer(of: -1) == nil)
    }

    @Test func onlyRootTheServiceUserAndItsGroupAreAdmitted() {
        let (daemonUID, daemonGID): (UInt32, UInt32) = (998, 997)
        #expect(ControlServerPolicy.admits(peer: (0, 5000), daemonUID: daemonUID, daemonGID: daemonGID))       // root
        #expect(ControlServerPolicy.admits(peer: (998, 5000), daemonUID: daemonUID, daemonGID: daemonGID))     // the service user
        #expect(ControlServerPolicy.admits(peer: (1000, 997), daemonUID: daemonUID, daemonGID: daemonGID))     // in its group
        #expect(!ControlServerPolicy.admits(peer: (1000, 1000), daemonUID: daemonUID, daemonGID: daemonGID))   // anyone else
    }
}
