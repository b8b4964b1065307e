import Foundation

/// Bounds applied to every request.
public struct FetchLimits: Sendable, Equatable {
    public var totalTimeout: Double
    public var connectTimeout: Double
    public var maxBodyBytes: Int
    public var maxRedirects: Int
    public var userAgent: String
    /// A proxy for every request (`http://host:port`, `socks5h://...`); nil leaves libcurl to the usual
    /// environment variables (`http_proxy`, `https_proxy`, `no_proxy`).
    public var proxy: String?

    public init(totalTimeout: Double = 30, connectTimeout: Double = 10, maxBodyBytes: Int = 10_000_000,
                maxRedirects: Int = 5, userAgent: String = "Winnow/0.1 (+https://example.invalid/winnow)", proxy: String? = nil) {
        self.totalTimeout = totalTimeout
        self.connectTimeout = connectTimeout
        self.maxBodyBytes = maxBodyBytes
        self.maxRedirects = maxRedirects
        self.userAgent = userAgent
        self.proxy = proxy
    }
}

/// A GET, conditional when the validators of the previous response are known.
public struct FetchRequest: Sendable, Equatable {
    public var url: String
    public var etag: String?
    public var lastModified: String?

    public init(url: String, etag: String? = nil, lastModified: String? = nil) {
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// What the server answered (after redirects).
public struct FetchResponse: Sendable {
    public var status: Int
    /// Response headers of the final hop, names lowercased.
    public var headers: [String: String]
    public var body: Data
    public var effectiveURL: String
    /// The final URL when every redirect on the way was permanent (301 or 308): the feed's new address.
    public var permanentURL: String?
    public var duration: Double

    public var etag: String? { headers["etag"] }
    public var lastModified: String? { headers["last-modified"] }
    public var contentType: String? { headers["content-type"] }
    public var isNotModified: Bool { status == 304 }
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// Why a fetch produced no HTTP response.
public enum FetchError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case timedOut(String)
    case bodyTooLarge(limit: Int)
    case tooManyRedirects
    case cancelled
    case transport(code: Int, message: String)

    /// A short, stable class name for fetch_log and metrics.
    public var errorClass: String {
        switch self {
        case .invalidURL: return "invalid-url"
        case .timedOut: return "timeout"
        case .bodyTooLarge: return "too-large"
        case .tooManyRedirects: return "redirects"
        case .cancelled: return "cancelled"
        case .transport(let code, _):
            switch code {
            case 6: return "dns"
            case 7: return "connect"
            case 35, 51, 53, 54, 58, 59, 60, 77, 80, 82, 83, 90, 91: return "tls"
            default: return "transport"
            }
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let url): return "\(url) is not an http(s) URL"
        case .timedOut(let message): return "timed out: \(message)"
        case .bodyTooLarge(let limit): return "body larger than the limit of \(limit) bytes (raise fetch.max_body_bytes to accept it)"
        case .tooManyRedirects: return "too many redirects"
        case .cancelled: return "cancelled"
        case .transport(let code, let message): return "transport error \(code): \(message)"
        }
    }
}
