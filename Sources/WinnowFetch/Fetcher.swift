import CCurl
import Dispatch
import Foundation
import Synchronization

/// HTTP(S) GET over libcurl: timeouts, a body cap that also bounds decompressed size, redirects limited
/// to http/https, gzip/deflate/br, and conditional requests. Each fetch runs on its own easy handle on a
/// thread of its own, so the cooperative pool is never blocked; callers bound how many run at once.
public final class Fetcher: Sendable {
    public let limits: FetchLimits
    /// When the last request to each host was sent (see `FetchLimits.perHostGap`).
    private let lastSend = Mutex<[String: Double]>([:])

    public init(limits: FetchLimits = FetchLimits()) {
        Self.globalInit
        self.limits = limits
    }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Sleeps until `perHostGap` has passed since the last request sent to the URL's host, and takes the turn.
    /// Called by libcurl once the connection is up, just before each request (every redirect hop too) is
    /// written: paced any earlier, a new connection's connect time under load let two requests arrive
    /// closer than the gap.
    fileprivate func waitForTurn(_ url: String) {
        guard limits.perHostGap > 0 else { return }
        let key = hostKey(for: url)
        let wait = lastSend.withLock { last -> Double in
            let now = Date().timeIntervalSince1970
            let turn = max(now, (last[key] ?? 0) + limits.perHostGap)
            last[key] = turn
            return turn - now
        }
        if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
    }

    public func fetch(_ request: FetchRequest) async throws -> FetchResponse {
        guard let scheme = URL(string: request.url)?.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw FetchError.invalidURL(request.url)
        }
        let transfer = Transfer(limit: limits.maxBodyBytes, pacing: limits.perHostGap > 0 ? self : nil)
        let limits = self.limits
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // A thread of its own, not a dispatch queue: on Linux the global queues run as many
                // blocking jobs as there are cores and add threads for blocked ones only about once a
                // second, so on two cores 32 concurrent fetches ran two at a time.
                Thread.detachNewThread {
                    continuation.resume(with: Result { try transfer.perform(request, limits: limits) })
                }
            }
        } onCancel: {
            transfer.cancel()
        }
    }
}

/// One transfer's state, reached from libcurl's C callbacks through an unmanaged pointer.
private final class Transfer: @unchecked Sendable {
    // Written only by the performing thread; `cancelled` is the one cross-thread flag.
    var body = Data()
    var headers: [String: String] = [:]
    /// The status of each response in the redirect chain, the final one last.
    var statuses: [Int] = []
    var overLimit = false
    /// Set when a connection was refused by the address policy (the address, for the error).
    var forbiddenAddress: String?
    let limit: Int
    /// The fetcher whose per-host gap each request waits for, if it keeps one.
    let pacing: Fetcher?
    var handle: UnsafeMutableRawPointer?
    var url = ""
    let cancelled = Atomic<Bool>(false)

    init(limit: Int, pacing: Fetcher?) {
        self.limit = limit
        self.pacing = pacing
    }

    /// Waits for the host's turn before a request is written; the host is the current hop's.
    func beforeSend() {
        guard let pacing else { return }
        var effective: UnsafeMutablePointer<CChar>?
        if let handle { winnow_curl_get_string(handle, CURLINFO_EFFECTIVE_URL, &effective) }
        pacing.waitForTurn(effective.map { String(cString: $0) } ?? url)
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    func perform(_ request: FetchRequest, limits: FetchLimits) throws -> FetchResponse {
        guard let handle = curl_easy_init() else { throw FetchError.transport(code: -1, message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        self.handle = handle
        self.url = request.url
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        if let etag = request.etag { headerList = curl_slist_append(headerList, "If-None-Match: \(etag)") }
        if let modified = request.lastModified { headerList = curl_slist_append(headerList, "If-Modified-Since: \(modified)") }

        let context = Unmanaged.passUnretained(self).toOpaque()
        winnow_curl_set_string(handle, CURLOPT_URL, request.url)
        winnow_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        winnow_curl_set_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        winnow_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        winnow_curl_set_long(handle, CURLOPT_MAXREDIRS, limits.maxRedirects)
        winnow_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        winnow_curl_set_string(handle, CURLOPT_ACCEPT_ENCODING, "")  // every encoding this libcurl decodes
        winnow_curl_set_string(handle, CURLOPT_USERAGENT, limits.userAgent)
        if let proxy = limits.proxy { winnow_curl_set_string(handle, CURLOPT_PROXY, proxy) }
        winnow_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(limits.totalTimeout * 1000))
        winnow_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(limits.connectTimeout * 1000))
        winnow_curl_set_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.maxBodyBytes))
        winnow_curl_set_slist(handle, CURLOPT_HTTPHEADER, headerList)
        winnow_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        winnow_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
        winnow_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context)
        winnow_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
        winnow_curl_set_write_callback(handle, transferWrite)
        winnow_curl_set_header_callback(handle, transferHeader)
        winnow_curl_set_progress_callback(handle, transferProgress)
        if pacing != nil {
            winnow_curl_set_pointer(handle, CURLOPT_PREREQDATA, context)
            winnow_curl_set_prereq_callback(handle, transferBeforeSend)
        }
        if !request.allowPrivateAddresses {
            // Checked at every connect, after DNS and on every redirect hop, so neither a redirect nor a
            // name that resolves differently the second time can reach an internal address.
            winnow_curl_set_pointer(handle, CURLOPT_OPENSOCKETDATA, context)
            winnow_curl_set_opensocket_callback(handle, transferOpenSocket)
        }

        let started = DispatchTime.now()
        let code = curl_easy_perform(handle)
        let duration = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9

        if overLimit || code == CURLE_FILESIZE_EXCEEDED { throw FetchError.bodyTooLarge(limit: limit) }
        if cancelled.load(ordering: .relaxed) { throw FetchError.cancelled }
        if let forbiddenAddress { throw FetchError.forbiddenAddress(forbiddenAddress) }
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            switch code {
            case CURLE_OPERATION_TIMEDOUT: throw FetchError.timedOut(message)
            case CURLE_TOO_MANY_REDIRECTS: throw FetchError.tooManyRedirects
            case CURLE_UNSUPPORTED_PROTOCOL: throw FetchError.invalidURL(request.url)
            default: throw FetchError.transport(code: Int(code.rawValue), message: message)
            }
        }
        var status = 0
        winnow_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafeMutablePointer<CChar>?
        winnow_curl_get_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
        let effectiveURL = effective.map { String(cString: $0) } ?? request.url
        // Moved for good only when every hop said so (301, 308); one temporary hop keeps the old URL.
        let moved = statuses.count > 1 && statuses.dropLast().allSatisfy { $0 == 301 || $0 == 308 } && effectiveURL != request.url
        return FetchResponse(status: status, headers: headers, body: body, effectiveURL: effectiveURL,
                             permanentURL: moved ? effectiveURL : nil, duration: duration)
    }

    func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // The cap is checked on decoded bytes, so it bounds a gzip bomb as well as a long body.
        guard body.count + bytes.count <= limit else { overLimit = true; return false }
        body.append(contentsOf: bytes)
        return true
    }

    func header(_ line: String) {
        let trimmed = line.trimmingWhitespace
        if trimmed.hasPrefix("HTTP/") {  // a new response (redirect hop) starts
            headers = [:]
            let code = trimmed.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
            if code >= 200 { statuses.append(code) }  // 1xx interim responses are not hops
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].lowercased()
        headers[name] = String(trimmed[trimmed.index(after: colon)...]).trimmingWhitespace
    }
}

private func transferWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return transfer.append(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private func transferHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    transfer.header(String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self))
    return length
}

private func transferOpenSocket(_ context: UnsafeMutableRawPointer?, _ purpose: curlsocktype,
                                _ address: UnsafeMutablePointer<curl_sockaddr>?) -> curl_socket_t {
    guard let context, let address else { return CURL_SOCKET_BAD }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let family = address.pointee.family
    var text = "an address of family \(family)"
    var allowed = false
    withUnsafePointer(to: &address.pointee.addr) { raw in
        if family == AF_INET {
            let ip = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
            text = "\(ip >> 24).\(ip >> 16 & 255).\(ip >> 8 & 255).\(ip & 255)"
            allowed = AddressPolicy.isPublic(ipv4: ip)
        } else if family == AF_INET6 {
            let bytes = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
            text = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
            allowed = AddressPolicy.isPublic(ipv6: bytes)
        }
    }
    guard allowed else {
        transfer.forbiddenAddress = text
        return CURL_SOCKET_BAD
    }
    return socket(family, address.pointee.socktype, address.pointee.protocol)
}

private func transferBeforeSend(_ context: UnsafeMutableRawPointer?, _: UnsafeMutablePointer<CChar>?,
                                _: UnsafeMutablePointer<CChar>?, _: Int32, _: Int32) -> Int32 {
    guard let context else { return 0 }
    Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().beforeSend()
    return 0  // CURL_PREREQFUNC_OK
}

private func transferProgress(_ context: UnsafeMutableRawPointer?, _: curl_off_t, _: curl_off_t, _: curl_off_t, _: curl_off_t) -> Int32 {
    guard let context else { return 0 }
    // Returning non-zero aborts the transfer: this is how task cancellation reaches libcurl.
    return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().cancelled.load(ordering: .relaxed) ? 1 : 0
}

extension String {
    /// Without leading and trailing spaces, tabs, CR and LF (Foundation's trimming was a tenth of a
    /// poll's CPU, for header lines that are ASCII at their ends).
    var trimmingWhitespace: String {
        let utf8 = self.utf8
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
