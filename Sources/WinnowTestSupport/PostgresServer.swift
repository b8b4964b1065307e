import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PostgreSQL cluster for tests and benchmarks: `initdb` in a temporary folder, then
/// `postgres` on a free port of 127.0.0.1 only (fsync off, its socket in the folder), started as a
/// child that dies with this process (`ChildProcesses`). When this process runs as root, both run as
/// the `postgres` user (PostgreSQL refuses root), and the folder is handed to it.
///
/// `PostgresServer.shared()` is one cluster for the whole test process, stopped (and its folder
/// removed) when the process exits; `createDatabase()` gives each test a database of its own.
/// When PostgreSQL is not installed it throws, saying what to install: tests never skip silently.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let folder: URL
    private let process: Process

    /// The user the cluster's superuser is named after (trust authentication on 127.0.0.1).
    public static let user = "postgres"

    private static let sharedServer = Mutex<Result<PostgresServer, TestSupportError>?>(nil)

    /// The test process's one cluster, started on first use.
    public static func shared() throws -> PostgresServer {
        try sharedServer.withLock { server in
            if server == nil {
                server = Result { try PostgresServer.start() }.mapError { $0 as? TestSupportError ?? TestSupportError("\($0)") }
                if case .success = server! { atexit { PostgresServer.stopShared() } }
            }
            return try server!.get()
        }
    }

    private static func stopShared() {
        if case .success(let server)? = sharedServer.withLock({ $0 }) { server.stop() }
    }

    /// `postgresql://postgres@127.0.0.1:PORT/NAME`
    public func url(database: String) -> String { "postgresql://\(Self.user)@127.0.0.1:\(port)/\(database)" }

    /// A new empty database (named after `label` and a counter) and its URL.
    public func createDatabase(_ label: String = "test") throws -> String {
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(Self.counter.add(1, ordering: .relaxed).newValue)_\(getpid())"
        let psql = try Self.binary("psql")
        let result = try runProcessBlocking(psql, ["-h", "127.0.0.1", "-p", String(port), "-U", Self.user, "-d", "postgres",
                                                   "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"], timeout: 60)
        guard result.status == 0 else { throw TestSupportError("createdb \(name) on 127.0.0.1:\(port) failed: \(result.stderr)") }
        return url(database: name)
    }

    private static let counter = Atomic<Int>(0)

    /// initdb, then postgres, then waits (up to 30 s) until it accepts connections.
    public static func start() throws -> PostgresServer {
        let initdb = try binary("initdb")
        let postgres = try binary("postgres")
        removeAbandonedFolders()
        let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("winnow-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot {
            guard let account = getpwnam("postgres") else {
                throw TestSupportError("running as root, and there is no postgres user to run PostgreSQL as: install Debian's postgresql package (apt-get install postgresql)")
            }
            guard chown(folder.path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw TestSupportError("cannot hand \(folder.path) to the postgres user: \(String(cString: strerror(errno)))")
            }
        }
        let data = folder.appendingPathComponent("data")
        let made = try runProcessBlocking(asRoot ? ChildProcesses.setpriv : initdb,
                                          asUser(asRoot, initdb, ["-D", data.path, "-A", "trust", "-U", user, "-E", "UTF8", "--locale=C", "--no-sync"]),
                                          timeout: 120)
        guard made.status == 0 else {
            throw TestSupportError("initdb in \(data.path) failed (status \(made.status)): \(made.stderr)\(made.stdout)")
        }
        let port = try freePort()
        let process = Process()
        // The uid changes before the parent-death signal is set (a change of credentials clears it).
        var arguments = ["-D", data.path, "-p", String(port), "-k", folder.path,
                         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                         "-c", "full_page_writes=off", "-c", "max_connections=100", "-c", "log_min_messages=warning"]
        if asRoot {
            process.executableURL = ChildProcesses.setpriv
            arguments = ["--reuid", "postgres", "--regid", "postgres", "--init-groups", "--", ChildProcesses.setpriv.path,
                         "--pdeathsig", "KILL", "--", postgres.path] + arguments
        } else {
            process.executableURL = postgres
        }
        process.arguments = arguments
        let log = folder.appendingPathComponent("server.log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw TestSupportError("cannot create \(log.path)") }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try ChildProcesses.launch(process)
        let server = PostgresServer(port: port, folder: folder, process: process)
        let deadline = Date().addingTimeInterval(30)
        let isReady = try binary("pg_isready")
        while true {
            let probe = try runProcessBlocking(isReady, ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", "postgres"], timeout: 10)
            if probe.status == 0 { break }
            if !process.isRunning || Date() > deadline {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                server.stop()
                throw TestSupportError("PostgreSQL on 127.0.0.1:\(port) did not start within 30 s: \(text.suffix(2000))")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return server
    }

    private init(port: Int, folder: URL, process: Process) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    /// Stops the server (fast shutdown, then SIGKILL after 10 s) and removes its folder.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGINT)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Folders of clusters whose test process was killed (SIGKILL runs no atexit: the server died
    /// with it, its folder stayed): older than ten minutes, with no live postmaster.
    static func removeAbandonedFolders() {
        let tmp = "/tmp"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("winnow-pg-") {
            let folder = "\(tmp)/\(name)"
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: folder))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) > 600 else { continue }
            let pidFile = (try? String(contentsOfFile: "\(folder)/data/postmaster.pid", encoding: .utf8)) ?? ""
            if let pid = pidFile.split(separator: "\n").first.flatMap({ Int32($0) }), kill(pid, 0) == 0 { continue }
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    private static func asUser(_ asRoot: Bool, _ program: URL, _ arguments: [String]) -> [String] {
        asRoot ? ["--reuid", "postgres", "--regid", "postgres", "--init-groups", "--", program.path] + arguments : arguments
    }

    /// A PostgreSQL server program, from Debian's versioned folder (the newest installed).
    static func binary(_ name: String) throws -> URL {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions {
            let path = "\(root)/\(version)/bin/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
        }
        throw TestSupportError("PostgreSQL is not installed (no \(root)/*/bin/\(name)): the PostgreSQL tests need it; "
            + "install Debian's postgresql package (`apt-get install postgresql`, which `make test` does)")
    }

    /// A port on 127.0.0.1 nothing listens on now (the kernel's pick).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw TestSupportError("bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw TestSupportError("getsockname: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
