import CCurl
import Foundation

/// A POST's outcome: the status the receiver answered, and the first bytes of its reply (for the error
/// a failed delivery records).
public struct PostResponse: Sendable {
    public var status: Int
    public var bodyPrefix: String
}

extension Fetcher {
    /// POSTs `body` to an http(s) URL with `headers`, on a thread of its own, without following
    /// redirects (a webhook receiver that moves is a configuration to fix, and a redirected POST turns
    /// into a GET). The reply body is read up to 1 KB and the rest dropped. Throws `FetchError` on
    /// transport failures (refused, timed out); any HTTP status is a response.
    public func post(url: String, body: Data, headers: [String: String], timeout: Double) async throws -> PostResponse {
        guard let scheme = URL(string: url)?.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw FetchError.invalidURL(url)
        }
        let userAgent = limits.userAgent, connectTimeout = min(limits.connectTimeout, timeout)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try Self.performPost(url: url, body: body, headers: headers, timeout: timeout, connectTimeout: connectTimeout, userAgent: userAgent)
                })
            }
        }
    }

    private static func performPost(url: String, body: Data, headers: [String: String], timeout: Double, connectTimeout: Double,
                                    userAgent: String) throws -> PostResponse {
        guard let handle = curl_easy_init() else { throw FetchError.transport(code: -1, message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(list) }
        // "Expect:" turns off curl's 100-continue wait, a second lost on every body over 1 KB.
        for line in headers.sorted(by: { $0.key < $1.key }).map({ "\($0.key): \($0.value)" }) + ["Expect:"] {
            list = curl_slist_append(list, line)
        }
        let reply = PostReply()
        let context = Unmanaged.passUnretained(reply).toOpaque()
        winnow_curl_set_string(handle, CURLOPT_URL, url)
        winnow_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        winnow_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        winnow_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        winnow_curl_set_string(handle, CURLOPT_USERAGENT, userAgent)
        winnow_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        winnow_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        winnow_curl_set_slist(handle, CURLOPT_HTTPHEADER, list)
        winnow_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
        _ = body.withUnsafeBytes { bytes in
            // COPYPOSTFIELDS copies the body now, so it need not outlive this call.
            winnow_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
        }
        winnow_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        winnow_curl_set_write_callback(handle, postWrite)
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            if code == CURLE_OPERATION_TIMEDOUT { throw FetchError.timedOut(message) }
            throw FetchError.transport(code: Int(code.rawValue), message: message)
        }
        var status = 0
        winnow_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return PostResponse(status: status, bodyPrefix: String(decoding: reply.bytes, as: UTF8.self))
    }
}

/// The first kilobyte of a POST's reply.
private final class PostReply {
    var bytes: [UInt8] = []
}

private func postWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let reply = Unmanaged<PostReply>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let keep = min(length, 1024 - reply.bytes.count)
    if keep > 0 {
        data.withMemoryRebound(to: UInt8.self, capacity: keep) { reply.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: keep)) }
    }
    return length
}
