import Foundation
import Testing
import WinnowStore
import WinnowTestSupport

/// Whether this process may mount a file system (root with CAP_SYS_ADMIN, as in CI).
let canMountTmpfs: Bool = {
    guard getuid() == 0, let folder = try? TestPaths.temporaryFolder("winnow-mount-probe") else { return false }
    defer { try? FileManager.default.removeItem(at: folder) }
    guard mount("tmpfs", folder.path, "tmpfs", 0, "size=1m") == 0 else { return false }
    umount(folder.path)
    return true
}()

/// The database on a real, small file system (a tmpfs mounted for the test): it fills up, or turns
/// read-only, under the running daemon, which must say so, stop advancing, keep its data, and go on
/// by itself once the space (or write access) is back. Mounting needs root; elsewhere these are skipped.
@Suite(.serialized, .enabled(if: canMountTmpfs, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
struct DiskTroubleTests {
    /// A tmpfs of `size` at `folder`, with `options` ("ro", "size=64m") applied by remounting it.
    struct SmallDisk {
        let folder: URL
        init(at folder: URL, size: String) throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            guard mount("tmpfs", folder.path, "tmpfs", 0, "size=\(size)") == 0 else { throw TestSupportError("mount tmpfs at \(folder.path): errno \(errno)") }
            self.folder = folder
        }
        func remount(_ options: String, readOnly: Bool = false) throws {
            let flags = UInt(MS_REMOUNT) | (readOnly ? UInt(MS_RDONLY) : 0)
            guard mount("tmpfs", folder.path, "tmpfs", flags, options) == 0 else { throw TestSupportError("remount \(options): errno \(errno)") }
        }
        func unmount() { umount2(folder.path, Int32(MNT_DETACH)) }
    }

    /// A server whose feeds each carry `items` articles of about 2 kB: more than a small disk holds.
    func server(items: Int) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            guard let n = Int(request.path.dropFirst(6)) else { return HTTPResponse(status: 404, text: "") }  // "/feed-N"
            return HTTPResponse(text: syntheticFeed(n, items: items))
        }
    }

    func logText(_ folder: URL) -> String {
        (try? String(contentsOf: folder.appendingPathComponent("logs/winnowd.log"), encoding: .utf8)) ?? ""
    }

    /// Runs the daemon until the trouble shows in its log, checks it held on, lifts the trouble, and
    /// checks that everything published was then stored.
    func survive(whenRunning: Bool = false, trouble: (SmallDisk) throws -> Void, logSays: String, lift: (SmallDisk) throws -> Void) async throws {
        let feedCount = 4, items = 400
        let server = try server(items: items)
        defer { server.stop() }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = try SmallDisk(at: folder.appendingPathComponent("state"), size: "64m")
        defer { disk.unmount() }
        let config = try DaemonTests.writeConfig(in: folder, feeds: (0..<feedCount).map { ("feed-\($0)", server.baseURL + "/feed-\($0)") }, interval: "1s")
        let database = folder.appendingPathComponent("state/winnow.sqlite").path
        if !whenRunning { try trouble(disk) }
        let daemon = try startDaemon(config)
        defer { if daemon.isRunning { daemon.terminate() } }
        if whenRunning {
            // The trouble strikes once the daemon has stored its first articles, in the middle of its work.
            try await waitUntil(timeout: 30) { ((try? ArticleStore.openReadOnly(path: database).counts().articles) ?? 0) > 0 }
            try trouble(disk)
        }

        try await waitUntil(timeout: 30) { logText(folder).contains(logSays) }
        let requestsBefore = server.requests.count
        try await Task.sleep(for: .seconds(1.5))  // feeds are due every second: the daemon must not keep fetching
        #expect(server.requests.count - requestsBefore <= 2 * feedCount, "fetched \(server.requests.count - requestsBefore) times while it could not store")
        #expect(daemon.isRunning, "winnowd gave up: \(logText(folder).split(separator: "\n").filter { !$0.contains("\"info\"") }.suffix(6).joined(separator: "\n"))")
        try lift(disk)
        try await waitUntil(timeout: 60) {
            guard let counts = try? ArticleStore.openReadOnly(path: database).counts() else { return false }
            return counts.articles == feedCount * items
        }
        daemon.terminate()
        await waitForExit(daemon)
        #expect(daemon.terminationStatus == 0)
        let store = try ArticleStore.openReadOnly(path: database)
        #expect(try store.integrityCheck() == "ok")
        let counts = try store.counts()
        #expect(counts.raw == feedCount * items && counts.clean == counts.raw && counts.pendingClean + counts.pendingDedup == 0)
        #expect(try store.countsAreConsistent())
    }

    @Test func aFullDiskIsReportedAndTheDaemonGoesOnWhenSpaceReturns() async throws {
        // 1.6 MB holds the schema and a part of the first cycle's 1,600 articles, not all of them.
        try await survive(trouble: { try $0.remount("size=1600k") }, logSays: "the disk holding the database is full", lift: { try $0.remount("size=64m") })
    }

    /// A one-shot run has no later cycle to wait for: a disk that fills under it ends the run with
    /// EX_IOERR (not 0, which a script would take for success), the reason on stderr, and the store as
    /// consistent as the daemon left it.
    @Test func aOneShotRunOnAFullDiskExitsWithAnIOError() async throws {
        let server = try server(items: 400)
        defer { server.stop() }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = try SmallDisk(at: folder.appendingPathComponent("state"), size: "1600k")
        defer { disk.unmount() }
        let config = try DaemonTests.writeConfig(in: folder, feeds: (0..<4).map { ("feed-\($0)", server.baseURL + "/feed-\($0)") }, interval: "1s")
        let run = try await runProcess(TestPaths.binary("winnowd"), ["--config", config.path, "--once"], timeout: 120)
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains("the disk holding the database is full"), "\(run.stderr)")
        try disk.remount("size=64m")
        let store = try ArticleStore.openReadOnly(path: folder.appendingPathComponent("state/winnow.sqlite").path)
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.countsAreConsistent())
    }

    @Test func aReadOnlyDatabaseIsWaitedForAndUsedOnceItIsWritable() async throws {
        // A database from an earlier run on a file system that is read-only when winnowd starts (a
        // running writer keeps Linux from remounting it read-only under the daemon, so that is tested
        // with the full disk above, through the same path).
        try await survive(trouble: { disk in
            _ = try ArticleStore.open(path: disk.folder.appendingPathComponent("winnow.sqlite").path)
            try disk.remount("size=64m", readOnly: true)
        }, logSays: "the database is read-only", lift: { try $0.remount("size=64m") })
    }
}
