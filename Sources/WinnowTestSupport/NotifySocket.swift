import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real AF_UNIX datagram socket standing in for systemd's notify socket: pass `path` as NOTIFY_SOCKET.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil when none arrives within `timeout` seconds. Blocks a thread of its
    /// own, never the cooperative pool.
    public func receive(timeout: Double) async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = recv(fd, &buffer, buffer.count, 0)
                continuation.resume(returning: n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil)
            }
        }
    }
}
