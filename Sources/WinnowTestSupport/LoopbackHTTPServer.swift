import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP request as the test server received it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    /// Header names lowercased.
    public var headers: [String: String]
    /// When the request's first bytes reached this machine's network stack (seconds since 1970): the
    /// kernel's receive timestamp, so a busy server thread does not make requests look closer together.
    public var arrival: Double
}

/// What the test server answers.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    /// Wait this long before sending anything (a slow server).
    public var delay: Double
    /// Send the headers and this many body bytes, then stall without closing (a stalled connection).
    public var stallAfterBytes: Int?
    /// Send the body one byte at a time, this many bytes a second (a slowloris body).
    public var bytesPerSecond: Double?
    /// After the headers, send `body` again and again until the client hangs up (a body without end;
    /// no Content-Length, so only the closed connection would end it).
    public var endless = false

    public init(status: Int = 200, headers: [String: String] = [:], body: Data = Data(), delay: Double = 0, stallAfterBytes: Int? = nil,
                bytesPerSecond: Double? = nil, endless: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.stallAfterBytes = stallAfterBytes
        self.bytesPerSecond = bytesPerSecond
        self.endless = endless
    }

    public init(status: Int = 200, headers: [String: String] = [:], text: String, delay: Double = 0) {
        self.init(status: status, headers: headers, body: Data(text.utf8), delay: delay)
    }
}

/// A real HTTP/1.1 server bound to 127.0.0.1 on a free port, one thread per connection, one request per
/// connection. Only loopback is ever bound. Records every request it served.
public final class LoopbackHTTPServer: Sendable {
    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let log = Mutex<[HTTPRequest]>([])
    private let stopped = Atomic<Bool>(false)

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request served so far, in arrival order.
    public var requests: [HTTPRequest] { log.withLock { $0 } }

    public init(handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        // Accepted sockets inherit it: the kernel stamps each received segment (see `HTTPRequest.arrival`).
        setsockopt(fd, SOL_SOCKET, Self.timestampOption, &yes, socklen_t(MemoryLayout<Int32>.size))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var received = Data()
        var arrival: Double?
        while received.range(of: Data("\r\n\r\n".utf8)) == nil {
            let (n, stamp) = Self.receive(client, into: &buffer)
            if n <= 0 { return }
            if arrival == nil { arrival = stamp ?? Date().timeIntervalSince1970 }
            received.append(contentsOf: buffer[0..<n])
            if received.count > 1_000_000 { return }
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = HTTPRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
                                  arrival: arrival ?? Date().timeIntervalSince1970)
        log.withLock { $0.append(request) }
        let response = handler(request)
        if response.delay > 0 { Thread.sleep(forTimeInterval: response.delay) }

        var head_ = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
        var responseHeaders = response.headers
        if responseHeaders["Content-Length"] == nil, response.status != 304, !response.endless { responseHeaders["Content-Length"] = String(response.body.count) }
        responseHeaders["Connection"] = "close"
        for (name, value) in responseHeaders.sorted(by: { $0.key < $1.key }) { head_ += "\(name): \(value)\r\n" }
        head_ += "\r\n"
        guard sendAll(client, Data(head_.utf8)) else { return }
        if let stall = response.stallAfterBytes {
            _ = sendAll(client, response.body.prefix(stall))
            // Hold the connection open without sending more, until the client gives up or the server stops.
            for _ in 0..<600 where !stopped.load(ordering: .relaxed) {
                var probe: UInt8 = 0
                if recv(client, &probe, 1, Int32(MSG_DONTWAIT)) == 0 { return }  // client closed
                Thread.sleep(forTimeInterval: 0.05)
            }
            return
        }
        if response.endless {
            for _ in 0..<1_000_000 where !stopped.load(ordering: .relaxed) {
                guard sendAll(client, response.body) else { return }  // the client hung up
            }
            return
        }
        if let rate = response.bytesPerSecond {
            for byte in response.body where !stopped.load(ordering: .relaxed) {
                guard sendAll(client, Data([byte])) else { return }
                Thread.sleep(forTimeInterval: 1 / rate)
            }
            return
        }
        _ = sendAll(client, response.body)
    }

    /// SO_TIMESTAMPNS (also its SCM_ control-message type); the C header's macro does not import.
    private static let timestampOption: Int32 = 35

    /// `recv` through `recvmsg`, with the kernel's receive timestamp of the data when it gave one.
    private static func receive(_ fd: Int32, into buffer: inout [UInt8]) -> (Int, Double?) {
        var control = [UInt8](repeating: 0, count: 64)
        return buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let n = recvmsg(fd, &message, 0)
                    guard n > 0, message.msg_controllen >= MemoryLayout<cmsghdr>.size else { return (n, nil) }
                    // One control message: a cmsghdr, then the timespec at the next 8-byte boundary.
                    let header = controlBytes.load(as: cmsghdr.self)
                    guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == timestampOption else { return (n, nil) }
                    let offset = (MemoryLayout<cmsghdr>.size + 7) & ~7
                    let stamp = controlBytes.loadUnaligned(fromByteOffset: offset, as: timespec.self)
                    guard stamp.tv_sec > 0 else { return (n, nil) }
                    return (n, Double(stamp.tv_sec) + Double(stamp.tv_nsec) / 1e9)
                }
            }
        }
    }

    private func sendAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 308: return "Permanent Redirect"
        case 404: return "Not Found"
        case 410: return "Gone"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

/// `data` as a zlib stream (Content-Encoding: deflate): gzip's deflate data between a zlib header and
/// the Adler-32 of `data`.
public func deflated(_ data: Data) -> Data {
    let gzip = gzipped(data)
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
    let adler = b << 16 | a
    // gzip's header is 10 bytes (no file name when compressing standard input); its trailer is 8.
    return Data([0x78, 0x9C]) + gzip[10..<(gzip.count - 8)] + Data([UInt8(adler >> 24), UInt8(adler >> 16 & 255), UInt8(adler >> 8 & 255), UInt8(adler & 255)])
}

/// `data` compressed by the system's gzip (a body for Content-Encoding: gzip, a gzip bomb when large).
public func gzipped(_ data: Data) -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-c"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try! ChildProcesses.launch(process)
    let writer = Thread { input.fileHandleForWriting.write(data); try? input.fileHandleForWriting.close() }
    writer.start()
    let compressed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return compressed
}
