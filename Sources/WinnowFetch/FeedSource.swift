import Foundation

/// Where a feed's bytes come from: a `file:` URL (the configuration's local feeds, such as the bundled
/// samples; the file's modification time plays the part of Last-Modified) or http(s) through the
/// `Fetcher`. Either way one call gives a classified result, never a thrown error: a broken feed is an
/// outcome to record, not a failure of the daemon.
public struct FeedSource: Sendable {
    public let fetcher: Fetcher

    public init(fetcher: Fetcher) { self.fetcher = fetcher }

    /// Whether the URL names a local file (no host, so no per-host politeness applies).
    public static func isLocal(_ url: String) -> Bool { url.hasPrefix("file:") }

    /// Fetches the feed, conditionally when the previous response's validators are given.
    public func fetch(_ url: String, etag: String?, lastModified: String?) async -> FeedFetch {
        Self.isLocal(url) ? readFile(url, lastModified: lastModified)
            : await fetchHTTP(url, etag: etag, lastModified: lastModified)
    }

    func readFile(_ url: String, lastModified: String?) -> FeedFetch {
        let path = URL(string: url)?.path ?? String(url.dropFirst(7))
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return .failed(FetchFailure(errorClass: "file", message: "cannot read \(path): check the path in the feed's url"), baseURL: url)
        }
        let modified = (attributes[.modificationDate] as? Date).map { String($0.timeIntervalSince1970) }
        if let modified, modified == lastModified { return FeedFetch(status: 304, baseURL: url) }
        // The cap is checked before reading, so an oversized file is never loaded.
        guard ((attributes[.size] as? NSNumber)?.intValue ?? 0) <= fetcher.limits.maxBodyBytes else {
            return .failed(FetchFailure(FetchError.bodyTooLarge(limit: fetcher.limits.maxBodyBytes)), baseURL: url)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failed(FetchFailure(errorClass: "file", message: "cannot read \(path): check the file's permissions"), baseURL: url)
        }
        var result = FeedFetch(status: 200, baseURL: url)
        result.body = data
        result.lastModified = modified
        return result
    }

    func fetchHTTP(_ url: String, etag: String?, lastModified: String?) async -> FeedFetch {
        let response: FetchResponse
        do {
            response = try await fetcher.fetch(FetchRequest(url: url, etag: etag, lastModified: lastModified))
        } catch {
            return .failed(FetchFailure(error), baseURL: url)
        }
        var result = FeedFetch(status: response.status, baseURL: response.effectiveURL)
        result.headers = response.headers
        result.bytes = response.body.count
        if response.isNotModified { return result }
        if let failure = FetchFailure(status: response.status, from: response.effectiveURL) {
            result.failure = failure
            return result
        }
        result.body = response.body
        result.etag = response.etag
        result.lastModified = response.lastModified
        result.permanentURL = response.permanentURL
        result.contentType = response.contentType
        result.contentLocation = response.headers["content-location"]
        return result
    }
}

/// What fetching a feed gave: a body to parse, a 304, or a classified failure; with the response's
/// headers (for the scheduler's hints) and validators.
public struct FeedFetch: Sendable {
    /// The HTTP status (200 or 304 for a file); nil when no response came.
    public var status: Int?
    public var headers: [String: String] = [:]
    /// Bytes received (also for an error response).
    public var bytes = 0
    /// The feed's bytes, when there is something to parse.
    public var body: Data?
    public var etag: String?
    public var lastModified: String?
    /// The feed's new URL after permanent redirects.
    public var permanentURL: String?
    public var contentType: String?
    /// The URL relative links resolve against (after redirects).
    public var baseURL: String
    public var contentLocation: String?
    public var failure: FetchFailure?

    public init(status: Int?, baseURL: String) {
        self.status = status
        self.baseURL = baseURL
    }

    static func failed(_ failure: FetchFailure, baseURL: String) -> FeedFetch {
        var result = FeedFetch(status: nil, baseURL: baseURL)
        result.failure = failure
        return result
    }

    public var isNotModified: Bool { status == 304 && failure == nil }
}

/// A fetch that gave no feed, classified: a short stable class for fetch_log and metrics (`http-4xx`,
/// `timeout`, `dns`, `file`, ...) and a message that names the input and what to do.
public struct FetchFailure: Sendable, Equatable, Error, CustomStringConvertible {
    public var errorClass: String
    public var message: String

    public init(errorClass: String, message: String) {
        self.errorClass = errorClass
        self.message = message
    }

    /// A failure with no HTTP response.
    public init(_ error: any Error) {
        if let error = error as? FetchError {
            self.init(errorClass: error.errorClass, message: error.description)
        } else {
            self.init(errorClass: "transport", message: "\(error)")
        }
    }

    /// The failure an HTTP status means; nil for a success or a 304.
    public init?(status: Int, from url: String) {
        guard !(200..<300).contains(status), status != 304 else { return nil }
        self.init(errorClass: "http-\(status / 100)xx", message: "HTTP \(status) from \(url)")
    }

    public var description: String { message }
}
