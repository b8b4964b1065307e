import Foundation
import Testing
import WinnowFetch
import WinnowTestSupport

@Suite struct FetcherTests {
    static let feedBody = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"

    /// A server with the cases the fetcher must handle, each on its own path.
    static func makeServer() throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            switch request.path {
            case "/feed":
                if request.headers["if-none-match"] == "\"v1\"" { return HTTPResponse(status: 304, headers: ["ETag": "\"v1\""]) }
                return HTTPResponse(headers: ["ETag": "\"v1\"", "Last-Modified": "Mon, 23 Nov 2026 06:00:00 GMT",
                                              "Content-Type": "application/rss+xml"], text: feedBody)
            case "/moved": return HTTPResponse(status: 301, headers: ["Location": "/feed"])
            case "/moved-twice": return HTTPResponse(status: 308, headers: ["Location": "/moved"])
            case "/for-now": return HTTPResponse(status: 302, headers: ["Location": "/moved"])
            case "/loop": return HTTPResponse(status: 302, headers: ["Location": "/loop"])
            case "/to-file": return HTTPResponse(status: 302, headers: ["Location": "file:///etc/passwd"])
            case "/big": return HTTPResponse(body: Data(repeating: 65, count: 200_000))
            case "/stall": return HTTPResponse(headers: ["Content-Length": "1000"], body: Data(repeating: 66, count: 1000), stallAfterBytes: 10)
            case "/gone": return HTTPResponse(status: 410, text: "gone")
            case "/gzip":
                return HTTPResponse(headers: ["Content-Encoding": "gzip"], body: gzipped(Data(repeating: 0x20, count: 5_000_000)))
            default: return HTTPResponse(status: 404, text: "not found")
            }
        }
    }

    let limits = FetchLimits(totalTimeout: 2, connectTimeout: 1, maxBodyBytes: 100_000, maxRedirects: 3, userAgent: "WinnowTest/1")

    @Test func getReturnsBodyValidatorsAndSendsUserAgent() async throws {
        let server = try Self.makeServer()
        let response = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/feed"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == Self.feedBody)
        #expect(response.etag == "\"v1\"")
        #expect(response.lastModified == "Mon, 23 Nov 2026 06:00:00 GMT")
        #expect(server.requests.first?.headers["user-agent"] == "WinnowTest/1")
    }

    @Test func conditionalGetGets304() async throws {
        let server = try Self.makeServer()
        let response = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/feed", etag: "\"v1\"",
                                                                            lastModified: "Mon, 23 Nov 2026 06:00:00 GMT"))
        #expect(response.isNotModified)
        #expect(response.body.isEmpty)
        #expect(server.requests.first?.headers["if-modified-since"] == "Mon, 23 Nov 2026 06:00:00 GMT")
    }

    @Test func followsRedirectsAndReportsTheFinalURL() async throws {
        let server = try Self.makeServer()
        let response = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/moved"))
        #expect(response.status == 200)
        #expect(response.effectiveURL == server.baseURL + "/feed")
        #expect(response.headers["location"] == nil)  // headers are the final hop's
        #expect(response.permanentURL == server.baseURL + "/feed")
    }

    /// A configured proxy gets every request, in absolute form; the feed's own host is never contacted
    /// (it does not exist: `.invalid` never resolves).
    @Test func aConfiguredProxyCarriesTheRequests() async throws {
        let proxy = try Self.makeServer()
        var viaProxy = limits
        viaProxy.proxy = proxy.baseURL
        let response = try await Fetcher(limits: viaProxy).fetch(FetchRequest(url: "http://feeds.example.invalid/feed"))
        #expect(response.status == 404)  // the test server answers absolute paths it does not know with 404
        #expect(proxy.requests.map(\.path) == ["http://feeds.example.invalid/feed"])
        #expect(proxy.requests.first?.headers["host"] == "feeds.example.invalid")
    }

    /// A URL from feed content may only reach public addresses: the check is on the address connected
    /// to, so a loopback name is refused like a loopback number, and the server never hears of it.
    @Test func linksFromFeedContentCannotReachInternalAddresses() async throws {
        let server = try Self.makeServer()
        for url in [server.baseURL + "/feed", "http://localhost:\(server.port)/feed", "http://metadata.localhost:\(server.port)/feed"] {
            do {
                _ = try await Fetcher(limits: limits).fetch(FetchRequest(url: url, allowPrivateAddresses: false))
                Issue.record("\(url) was fetched")
            } catch let error as FetchError {
                // localhost names may be tried over IPv6 first: ::1 is refused the same way.
                #expect(error == .forbiddenAddress("127.0.0.1") || error == .forbiddenAddress("0:0:0:0:0:0:0:1"), "\(error)")
            }
        }
        #expect(server.requests.isEmpty)
        let trusted = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/feed"))  // a configured feed
        #expect(trusted.status == 200)
        #expect(FetchError.forbiddenAddress("10.0.0.1").errorClass == "forbidden-address")
    }

    @Test func onlyPublicUnicastAddressesArePublic() {
        func v4(_ text: String) -> UInt32 { text.split(separator: ".").reduce(0) { $0 << 8 | UInt32($1)! } }
        for address in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "169.255.0.1"] {
            #expect(AddressPolicy.isPublic(ipv4: v4(address)), "\(address)")
        }
        for address in ["127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.0.8"] {
            #expect(!AddressPolicy.isPublic(ipv4: v4(address)), "\(address)")
        }
        func v6(_ text: String) -> [UInt8] {
            var address = in6_addr()
            #expect(inet_pton(AF_INET6, text, &address) == 1)
            return withUnsafeBytes(of: address) { Array($0) }
        }
        for address in ["2001:4860:4860::8888", "2a00:1450::1", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
            #expect(AddressPolicy.isPublic(ipv6: v6(address)), "\(address)")
        }
        for address in ["::1", "::", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "fe80::1", "fd00::1", "fc00::2", "ff02::1", "::127.0.0.1", "64:ff9b::a00:1"] {
            #expect(!AddressPolicy.isPublic(ipv6: v6(address)), "\(address)")
        }
    }

    @Test func onlyAChainOfPermanentRedirectsMovesTheFeed() async throws {
        let server = try Self.makeServer()
        let twice = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/moved-twice"))
        #expect(twice.status == 200 && twice.permanentURL == server.baseURL + "/feed")  // 308 then 301
        let temporary = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/for-now"))
        #expect(temporary.status == 200 && temporary.effectiveURL == server.baseURL + "/feed")
        #expect(temporary.permanentURL == nil)  // 302 then 301: the first hop may change back
        let direct = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/feed"))
        #expect(direct.permanentURL == nil)
    }

    @Test func redirectLoopsAndNonHTTPRedirectsAreRefused() async throws {
        let server = try Self.makeServer()
        await #expect(throws: FetchError.tooManyRedirects) {
            try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/loop"))
        }
        await #expect(throws: FetchError.self) {
            try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/to-file"))
        }
        await #expect(throws: FetchError.invalidURL("file:///etc/passwd")) {
            try await Fetcher(limits: limits).fetch(FetchRequest(url: "file:///etc/passwd"))
        }
    }

    @Test func bodiesOverTheCapAreRefusedIncludingGzipBombs() async throws {
        let server = try Self.makeServer()
        await #expect(throws: FetchError.bodyTooLarge(limit: 100_000)) {
            try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/big"))
        }
        // 5 MB of spaces compress to a few kB: the cap applies to the decoded bytes.
        await #expect(throws: FetchError.bodyTooLarge(limit: 100_000)) {
            try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/gzip"))
        }
    }

    @Test func stalledConnectionTimesOut() async throws {
        let server = try Self.makeServer()
        let started = Date()
        await #expect(throws: FetchError.self) {
            try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/stall"))
        }
        // The server never answers: the 2 s timeout must end it. The bound is loose because this task
        // resumes on the test process's cooperative pool, which other suites' synchronous work can hold
        // for seconds on two cores (the 10 MB sanitizer test holds one for 8 s); a transfer that hung
        // would still fail it.
        #expect(Date().timeIntervalSince(started) < 25)
    }

    @Test func httpErrorsAreResponsesNotThrows() async throws {
        let server = try Self.makeServer()
        let response = try await Fetcher(limits: limits).fetch(FetchRequest(url: server.baseURL + "/gone"))
        #expect(response.status == 410)
        #expect(!response.isSuccess)
    }

    @Test func connectionRefusedIsAConnectError() async throws {
        let server = try Self.makeServer()
        let url = server.baseURL + "/feed"
        server.stop()
        do {
            _ = try await Fetcher(limits: limits).fetch(FetchRequest(url: url))
            Issue.record("expected a connect error")
        } catch let error as FetchError {
            #expect(error.errorClass == "connect")
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let server = try LoopbackHTTPServer { _ in
            HTTPResponse(headers: ["Content-Length": "1000"], body: Data(repeating: 1, count: 1000), stallAfterBytes: 1)
        }
        let fetcher = Fetcher(limits: FetchLimits(totalTimeout: 30, connectTimeout: 5))
        let task = Task { try await fetcher.fetch(FetchRequest(url: server.baseURL + "/x")) }
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        task.cancel()
        await #expect(throws: FetchError.cancelled) { try await task.value }
        // Well before the 30 s timeout; loose because the cooperative pool the task resumes on can be
        // held for seconds on a busy two-core machine (3 s measured 3.2 with other work running).
        #expect(Date().timeIntervalSince(started) < 25)
    }
}
