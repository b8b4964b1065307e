import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One request on the control socket: a JSON object per line, `{"command": "pause", "feed": "x"}`.
public struct ControlRequest: Sendable, Codable, Equatable {
    public var command: String
    public var feed: String?
    public var all: Bool?
    public var from: String?

    public init(command: String, feed: String? = nil, all: Bool? = nil, from: String? = nil) {
        self.command = command
        self.feed = feed
        self.all = all
        self.from = from
    }
}

/// The reply: `ok`, and either `error` (what was wrong and what to do) or command-specific fields.
public struct ControlResponse: Sendable, Codable {
    public var ok: Bool
    public var error: String?
    public var message: String?
    public var status: LiveStatus?
    /// With a failure: the exit status its kind earns in winnowctl's contract (66 no such feed, 78 an
    /// invalid configuration); nil for the rest.
    public var code: Int?

    public static func failure(_ error: String, code: Int? = nil) -> ControlResponse { ControlResponse(ok: false, error: error, code: code) }
    public static func success(_ message: String) -> ControlResponse { ControlResponse(ok: true, message: message) }
}

/// What only the running daemon knows.
public struct LiveStatus: Sendable, Codable {
    public var pid: Int32
    public var uptimeSeconds: Double
    public var configPath: String
    public var inFlightFetches: Int
    public var cycleRunningSeconds: Double?
    public var pendingClean: Int
    public var pendingDedup: Int
    public var pausedFeeds: [String]
    public var nextDue: [String: Double]
    /// Why the database cannot be written just now (polling and the stages wait), or nil.
    public var storageTrouble: String?
}

/// A Unix-domain socket server for the control protocol. Each connection is served on a thread of
/// its own: lines are bounded in size (a longer one gets an error and the connection is closed),
/// requests are bounded in rate per connection, and connections in number; a malformed request gets
/// an error reply and never reaches the daemon.
public final class ControlServer: Sendable {
    public static let maxLineBytes = 16 * 1024
    public static let maxConnections = 16
    public static let maxRequestsPerSecond = 50

    public let path: String
    let listener: Int32
    let handler: @Sendable (ControlRequest) -> ControlResponse
    let connections = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)

    public struct SocketError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds the socket (replacing a stale one) with mode 0660 and starts accepting.
    /// `handler` runs on the connection's thread; it must not block for long.
    /// Whether a process accepts connections on the Unix socket at `path`.
    static func answers(_ path: String) -> Bool {
        var address = sockaddr_un()
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } } == 0
    }

    public init(path: String, handler: @escaping @Sendable (ControlRequest) -> ControlResponse) throws {
        self.path = path
        self.handler = handler
        var address = sockaddr_un()
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SocketError(description: "control socket path \(path) is longer than \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes: set control.socket to a shorter path")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        // A socket left by a killed daemon is replaced; one a live daemon answers on is not (on SQLite
        // the database lock keeps a second daemon out anyway, but daemons sharing PostgreSQL on one
        // machine each need a control.socket of their own).
        if Self.answers(path) {
            throw SocketError(description: "another winnowd listens on the control socket \(path): give each daemon its own control.socket")
        }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(description: "cannot create the control socket: \(String(cString: strerror(errno)))") }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let previous = umask(0o117)  // created 0660: the service's user and group only
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        umask(previous)
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SocketError(description: "cannot listen on the control socket \(path): \(reason)")
        }
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        unlink(path)
    }

    deinit { stop() }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // accept4 is not exported to Swift here
            // The socket file is 0660 already; the kernel's word on who connected is checked too, so a
            // socket path reached some other way (a copied fd, a loose directory) still lets no one else in.
            guard let peer = ControlServerPolicy.peer(of: client), ControlServerPolicy.admits(peer: peer) else {
                reply(client, .failure("refused: only root and the service's own user or group may use the control socket"))
                close(client)
                continue
            }
            guard connections.add(1, ordering: .relaxed).newValue <= Self.maxConnections else {
                connections.subtract(1, ordering: .relaxed)
                reply(client, .failure("too many control connections; try again"))
                close(client)
                continue
            }
            Thread.detachNewThread { [self] in
                serve(client)
                connections.subtract(1, ordering: .relaxed)
            }
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)  // an idle connection is closed
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        var reader = ControlLineReader(maxLineBytes: Self.maxLineBytes)
        var windowStart = Date()
        var inWindow = 0
        while !stopped.load(ordering: .relaxed) {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            for line in reader.read(buffer[0..<n]) {
                switch line {
                case .tooLong:
                    reply(client, .failure("request longer than \(Self.maxLineBytes) bytes; a request is one JSON object on one line"))
                    return
                case .malformed:
                    reply(client, .failure("not a request: send one JSON object per line, such as {\"command\": \"status\"}"))
                case .request(let request):
                    if Date().timeIntervalSince(windowStart) >= 1 { windowStart = Date(); inWindow = 0 }
                    inWindow += 1
                    if inWindow > Self.maxRequestsPerSecond {
                        reply(client, .failure("more than \(Self.maxRequestsPerSecond) requests a second; slow down"))
                        continue
                    }
                    reply(client, handler(request))
                }
            }
        }
    }

    private func reply(_ client: Int32, _ response: ControlResponse) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var data = try? encoder.encode(response) else { return }
        data.append(0x0A)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

/// Splits what a control connection sends into requests: one JSON object a line, each line bounded.
/// Kept apart from the socket so the fuzzer runs exactly what the server runs.
struct ControlLineReader {
    enum Line: Equatable { case request(ControlRequest), malformed, tooLong }

    let maxLineBytes: Int
    private var pending: [UInt8] = []

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    /// The lines `bytes` completes, in order. A line over the bound ends the list with `.tooLong`,
    /// after which the connection is to be closed.
    mutating func read<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [Line] {
        pending.append(contentsOf: bytes)
        var lines: [Line] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            if newline - start > maxLineBytes { return lines + [.tooLong] }
            let line = Data(pending[start..<newline])
            start = newline + 1
            if let request = try? JSONDecoder().decode(ControlRequest.self, from: line) {
                lines.append(.request(request))
            } else {
                lines.append(.malformed)
            }
        }
        pending.removeFirst(start)  // once per read, not once per line
        if pending.count > maxLineBytes { lines.append(.tooLong) }
        return lines
    }
}

/// The client side: one request, one reply.
public enum ControlClient {
    public struct Unavailable: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot reach winnowd at \(path) (\(reason)): is it running? (systemctl status winnowd)" }
    }

    public static func send(_ request: ControlRequest, to path: String, timeout: Double = 30) throws -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(path: path, reason: "no socket") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Unavailable(path: path, reason: "path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        guard connected == 0 else { throw Unavailable(path: path, reason: String(cString: strerror(errno))) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var line = try JSONEncoder().encode(request)
        line.append(0x0A)
        _ = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(0x0A) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { throw Unavailable(path: path, reason: "no reply") }
            received.append(contentsOf: buffer[0..<n])
        }
        return try JSONDecoder().decode(ControlResponse.self, from: received.prefix(while: { $0 != 0x0A }))
    }
}

/// Who may use the control socket: checked on every connection, from the kernel's record of the peer.
public enum ControlServerPolicy {
    /// The connected process's user and group, from the kernel (SO_PEERCRED: pid, uid, gid).
    public static func peer(of socket: Int32) -> (uid: UInt32, gid: UInt32)? {
        var credentials = [UInt32](repeating: 0, count: 3)  // struct ucred, which Glibc's module does not export
        var length = socklen_t(12)
        guard getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, length == 12 else { return nil }
        return (credentials[1], credentials[2])
    }

    /// Root, the daemon's own user, or a member of its group (the unit's `Group=`) may connect.
    public static func admits(peer: (uid: UInt32, gid: UInt32), daemonUID: UInt32 = getuid(), daemonGID: UInt32 = getgid()) -> Bool {
        peer.uid == 0 || peer.uid == daemonUID || peer.gid == daemonGID
    }
}
