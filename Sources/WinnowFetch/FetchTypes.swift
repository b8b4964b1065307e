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
    /// The least time between two requests this fetcher sends to one host (name and port), measured when
    /// each is sent, not when it was scheduled: a request whose thread starts late does not shorten the gap.
    public var perHostGap: Double

    public init(totalTimeout: Double = 30, connectTimeout: Double = 10, maxBodyBytes: Int = 10_000_000,
                maxRedirects: Int = 5, userAgent: String = "Winnow/0.1 (+https://example.invalid/winnow)", proxy: String? = nil,
                perHostGap: Double = 0) {
        self.perHostGap = perHostGap
        self.totalTimeout = totalTimeout
        self.connectTimeout = connectTimeout
        self.maxBodyBytes = maxBodyBytes
        self.maxRedirects = maxRedirects
        self.userAgent = userAgent
        self.proxy = proxy
    }
}

/// The host part of a URL, lowercased and with its port when it names one: what per-host politeness counts
/// by. The URL itself when it has no host.
public func hostKey(for url: String) -> String {
    guard let components = URLComponents(string: url), let host = components.host?.lowercased() else { return url }
    return components.port.map { "\(host):\($0)" } ?? host
}

/// A GET, conditional when the validators of the previous response are known.
public struct FetchRequest: Sendable, Equatable {
    public var url: String
    public var etag: String?
    public var lastModified: String?
    /// False for URLs that come from feed content (an item's link): then every connection, on every
    /// redirect hop, must go to a public address, never loopback, private, link-local or a cloud
    /// metadata service. Configured feeds are trusted and may be anywhere.
    public var allowPrivateAddresses: Bool

    public init(url: String, etag: String? = nil, lastModified: String? = nil, allowPrivateAddresses: Bool = true) {
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
        self.allowPrivateAddresses = allowPrivateAddresses
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
    case forbiddenAddress(String)
    case cancelled
    case transport(code: Int, message: String)

    /// A short, stable class name for fetch_log and metrics.
    public var errorClass: String {
        switch self {
        case .invalidURL: return "invalid-url"
        case .timedOut: return "timeout"
        case .bodyTooLarge: return "too-large"
        case .tooManyRedirects: return "redirects"
        case .forbiddenAddress: return "forbidden-address"
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
        case .forbiddenAddress(let address):
            return "refused to connect to \(address): not a public address (links from feed content may not reach loopback, private or link-local networks)"
        case .cancelled: return "cancelled"
        case .transport(let code, let message): return "transport error \(code): \(message)"
        }
    }
}

/// Which addresses a URL from feed content may reach: public unicast only.
public enum AddressPolicy {
    /// An IPv4 address (host byte order) outside loopback, private, shared, link-local (the cloud
    /// metadata service 169.254.169.254 among them), "this network", multicast and reserved ranges.
    public static func isPublic(ipv4 a: UInt32) -> Bool {
        func within(_ network: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == network >> (32 - bits) }
        return !(within(0x0000_0000, 8) || within(0x0A00_0000, 8) || within(0x6440_0000, 10) || within(0x7F00_0000, 8)
            || within(0xA9FE_0000, 16) || within(0xAC10_0000, 12) || within(0xC000_0000, 24) || within(0xC0A8_0000, 16)
            || within(0xC612_0000, 15) || within(0xE000_0000, 4) || within(0xF000_0000, 4))
    }

    /// An IPv6 address outside unspecified, loopback, unique-local, link-local and multicast; an IPv4
    /// address mapped or translated into IPv6 is judged as IPv4.
    public static func isPublic(ipv6 b: [UInt8]) -> Bool {
        guard b.count == 16 else { return false }
        let v4 = UInt32(b[12]) << 24 | UInt32(b[13]) << 16 | UInt32(b[14]) << 8 | UInt32(b[15])
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return isPublic(ipv4: v4) }  // ::ffff:a.b.c.d
        if b[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::, ::1 and the deprecated IPv4-compatible ::/96
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return isPublic(ipv4: v4) }  // 64:ff9b::/96 (NAT64)
        if b[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        return b[0] != 0xFF  // ff00::/8 multicast
    }
}
