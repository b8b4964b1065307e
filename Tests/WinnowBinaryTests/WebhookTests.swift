import Foundation
import Synchronization
import Testing
import WinnowPipeline
import WinnowStore
import WinnowTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Webhooks from the real winnowd to a real receiver on 127.0.0.1.
@Suite(.serialized) struct WebhookTests {
    static let secret = "test-secret-0123456789abcdef"

    /// RFC 4231's HMAC-SHA256 test cases 1, 2 and 6 (a key longer than the block), and FIPS 180's "abc".
    @Test func hmacMatchesTheRFCVectors() {
        #expect(SHA256.hash(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(HMACSHA256.hex(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(HMACSHA256.hex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(HMACSHA256.hex(key: [UInt8](repeating: 0xaa, count: 131),
                               message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    func config(in folder: URL, receiver: String, extra: String = "") throws -> URL {
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        try """
            {"feeds": [{"name": "harbour", "url": "file:\(samples.path)/harbour-gazette.xml"},
                       {"name": "valley", "url": "file:\(samples.path)/valley-courier.atom"},
                       {"name": "wire", "url": "file:\(samples.path)/wire-digest.xml"}],
             "webhooks": [{"url": "\(receiver)", "secret": "\(Self.secret)"\(extra)}]}
            """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    @Test func onceSendsOneSignedPostPerStoredArticle() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let receiver = try WebhookReceiver { _ in 204 }
        defer { receiver.stop() }
        let config = try config(in: folder, receiver: "\(receiver.baseURL)/hooks/winnow")
        let run = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
        #expect(run.status == 0, "\(run.stderr)")

        let store = try ArticleStore.openReadOnly(path: folder.appendingPathComponent("state/winnow.sqlite").path)
        let stored = try store.counts().articles
        #expect(stored > 0)
        let posts = receiver.posts
        #expect(posts.count == stored)
        #expect(Set(posts.map(\.articleID)) == Set(1...Int64(stored)))
        #expect(Set(posts.map { $0.headers["idempotency-key"] ?? "" }).count == stored)
        for post in posts {
            #expect(post.path == "/hooks/winnow")
            #expect(post.headers["content-type"] == "application/json")
            #expect(post.headers["x-winnow-signature"] == "sha256=" + HMACSHA256.hex(key: Array(Self.secret.utf8), message: post.body))
            let event = post.headers["x-winnow-event"]
            #expect(event == (post.status == "new" ? "article.new" : "article.duplicate"))
        }
        #expect(posts.contains { $0.status != "new" }, "the samples hold duplicates")
        #expect(try store.outboxStatus().depth == 0)
        #expect(try store.outboxStatus().delivered == stored)
    }

    /// The receiver is down for a while (seconds here, standing for the issue's minute): first nothing
    /// listens on its port, then it answers 503; the daemon is killed with SIGKILL in between and started
    /// again. Every delivery still arrives once the receiver is back, signed, each under one key.
    @Test func deliveriesSurviveADownReceiverAndAKill9() async throws {
        let folder = try TestPaths.temporaryFolder("winnow-hook")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A port that was free a moment ago, and nothing listening on it yet.
        let probe = try WebhookReceiver { _ in 200 }
        let port = probe.port
        probe.stop()
        let config = try config(in: folder, receiver: "http://127.0.0.1:\(port)/hook", extra: #", "max_backoff": "1s", "timeout": "5s""#)
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        let winnowctl = try TestPaths.binary("winnowctl")

        var daemon = try startDaemon(config)
        defer { kill(daemon.processIdentifier, SIGKILL) }
        try await waitUntil(timeout: 30) { ((try? ArticleStore.openReadOnly(path: database).outboxStatus().lastError) ?? nil) != nil }
        #expect(try ArticleStore.openReadOnly(path: database).outboxStatus().lastError?.contains("connect") == true)
        let stored = try ArticleStore.openReadOnly(path: database).counts().articles

        // Up, but failing.
        let down = Atomic<Bool>(true)
        let receiver = try WebhookReceiver(port: port) { _ in down.load(ordering: .relaxed) ? 503 : 200 }
        defer { receiver.stop() }
        try await waitUntil(timeout: 30) { !receiver.posts.isEmpty }
        #expect(stored > 0)
        // status tells what is owed and why it is not delivered.
        let status = try await runProcess(winnowctl, ["status", "--config", config.path])
        #expect(status.stdout.contains("webhooks: "), "\(status.stdout)")
        #expect(status.stdout.contains("HTTP 503"), "\(status.stdout)")

        kill(daemon.processIdentifier, SIGKILL)
        await waitForExit(daemon)
        let owed = try ArticleStore.openReadOnly(path: database).outboxStatus()
        #expect(owed.depth > 0 && owed.delivered == 0, "the deliveries owed are on disk after the kill")
        #expect(receiver.posts.filter { $0.answered == 200 }.isEmpty)

        daemon = try startDaemon(config)
        try await Task.sleep(for: .seconds(2))
        down.store(false, ordering: .relaxed)
        try await waitUntil(timeout: 60) { Set(receiver.posts.filter { $0.answered == 200 }.map(\.articleID)).count == stored }
        let delivered = receiver.posts.filter { $0.answered == 200 }
        #expect(Set(delivered.map(\.articleID)) == Set(1...Int64(stored)))
        for post in delivered {
            #expect(post.headers["x-winnow-signature"] == "sha256=" + HMACSHA256.hex(key: Array(Self.secret.utf8), message: post.body))
        }
        // Retries carried the same idempotency key and body as the first try.
        let keys = Dictionary(grouping: receiver.posts, by: { $0.headers["idempotency-key"] ?? "" })
        #expect(keys.count == stored)
        #expect(keys.values.allSatisfy { Set($0.map(\.body)).count == 1 })
        try await waitUntil(timeout: 10) { (try? ArticleStore.openReadOnly(path: database).outboxStatus().depth) == 0 }
    }

    /// A webhook added by a reload gets the articles stored from then on.
    @Test func aWebhookAddedByReloadGetsTheArticlesStoredAfterIt() async throws {
        let folder = try TestPaths.temporaryFolder("winnow-hook")
        defer { try? FileManager.default.removeItem(at: folder) }
        let receiver = try WebhookReceiver { _ in 200 }
        defer { receiver.stop() }
        let samples = TestPaths.repository.appendingPathComponent("samples")
        let config = folder.appendingPathComponent("pipeline.json")
        let harbour = #"{"name": "harbour", "url": "file:\#(samples.path)/harbour-gazette.xml", "interval": "1h"}"#
        try #"{"feeds": [\#(harbour)]}"#.write(to: config, atomically: true, encoding: .utf8)
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        let daemon = try startDaemon(config)
        defer { kill(daemon.processIdentifier, SIGKILL) }
        try await waitUntil(timeout: 30) { ((try? ArticleStore.openReadOnly(path: database).counts().articles) ?? 0) > 0 }
        let before = try ArticleStore.openReadOnly(path: database).counts().articles

        try """
            {"feeds": [\(harbour), {"name": "valley", "url": "file:\(samples.path)/valley-courier.atom", "interval": "1h"}],
             "webhooks": [{"url": "\(receiver.baseURL)/hook", "secret": "\(Self.secret)"}]}
            """.write(to: config, atomically: true, encoding: .utf8)
        let reload = try await runProcess(try TestPaths.binary("winnowctl"), ["reload", "--config", config.path])
        #expect(reload.status == 0, "\(reload.stderr)")
        try await waitUntil(timeout: 30) {
            (try? ArticleStore.openReadOnly(path: database).feeds().first { $0.name == "valley" }?.lastFetchAt) != nil
        }
        // The fetch is recorded before its articles go through the stages: wait for the articles, then the deliveries.
        try await waitUntil(timeout: 30) { ((try? ArticleStore.openReadOnly(path: database).counts().articles) ?? 0) > before }
        try await waitUntil(timeout: 20) { (try? ArticleStore.openReadOnly(path: database).outboxStatus().depth) == 0 }
        let after = try ArticleStore.openReadOnly(path: database).counts().articles
        #expect(after > before)
        // Every article stored after the reload arrives once; articles stored in the second before it
        // may too (the cursor follows the store about once a second while no webhook is configured).
        let expected = Set(Int64(before + 1)...Int64(after))
        try await waitUntil(timeout: 20) { expected.isSubset(of: Set(receiver.posts.map(\.articleID))) }
        let ids = receiver.posts.map(\.articleID)
        #expect(ids.count == Set(ids).count)
        #expect(ids.allSatisfy { (1...Int64(after)).contains($0) })
    }

    @Test func webhookSettingsAreValidated() async throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (hook, field) in [(#"{"url": "ftp://x/", "secret": "0123456789abcdef0"}"#, "webhooks[0].url"),
                              (#"{"url": "http://127.0.0.1:9/", "secret": "short"}"#, "webhooks[0].secret"),
                              (#"{"url": "http://127.0.0.1:9/", "secret": "0123456789abcdef0", "events": ["article.gone"]}"#, "webhooks[0].events[0]")] {
            let config = folder.appendingPathComponent("pipeline.json")
            try #"{"feeds": [], "webhooks": [\#(hook)]}"#.write(to: config, atomically: true, encoding: .utf8)
            let run = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
            #expect(run.status == 78)
            #expect(run.stderr.contains(field), "\(run.stderr)")
        }
    }
}

/// An HTTP/1.1 receiver on 127.0.0.1 that reads request bodies (the shared test server does not): one
/// request per connection, each recorded with the status it was answered with.
final class WebhookReceiver: Sendable {
    struct Post: Sendable {
        var path: String
        var headers: [String: String]
        var body: [UInt8]
        var answered: Int
        var articleID: Int64 {
            let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            return ((json?["article"] as? [String: Any])?["id"] as? NSNumber)?.int64Value ?? -1
        }
        var status: String? {
            let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            return (json?["article"] as? [String: Any])?["status"] as? String
        }
    }

    let port: Int
    private let listener: Int32
    private let answer: @Sendable (String) -> Int
    private let log = Mutex<[Post]>([])
    private let stopped = Atomic<Bool>(false)

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var posts: [Post] { log.withLock { $0 } }

    /// Listens on `port` of 127.0.0.1 (0: a free one).
    init(port: Int = 0, answer: @escaping @Sendable (String) -> Int) throws {
        self.answer = answer
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else { throw TestSupportError("cannot listen on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in
            while !stopped.load(ordering: .relaxed) {
                let client = accept(listener, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                Thread.detachNewThread { [self] in serve(client) }
            }
        }
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        var contentLength = 0
        while true {
            if headerEnd == nil, let end = received.indices.dropLast(3).first(where: { Array(received[$0..<$0 + 4]) == separator }) {
                headerEnd = end + 4
                let head = String(decoding: received[0..<end], as: UTF8.self)
                for line in head.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, received.count >= headerEnd + contentLength { break }
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            received += buffer[0..<n]
        }
        let end = headerEnd!
        var lines = String(decoding: received[0..<end - 4], as: UTF8.self).components(separatedBy: "\r\n")
        let path = lines.removeFirst().split(separator: " ").dropFirst().first.map(String.init) ?? ""
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let status = answer(path)
        log.withLock { $0.append(Post(path: path, headers: headers, body: Array(received[end..<end + contentLength]), answered: status)) }
        let reply = "HTTP/1.1 \(status) \(status < 300 ? "OK" : "Service Unavailable")\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }
}
