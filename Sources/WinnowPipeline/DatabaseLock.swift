import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock beside the database (`<db>.lock`): the daemon holds it while it runs, so
/// a second daemon, or a `winnowctl` command that rewrites stages, refuses instead of racing it.
public final class DatabaseLock: Sendable {
    let descriptor: Int32
    public let path: String

    public struct Held: Error, CustomStringConvertible {
        public var path: String
        public var description: String {
            "the database is in use by a running winnowd (lock \(path) is held): stop winnowd first, or use another --db"
        }
    }

    /// The lock file cannot be created or opened for writing (a read-only file system, a folder the
    /// service may not write, a full disk).
    public struct Unwritable: Error, CustomStringConvertible {
        public var path: String
        public var code: Int32
        public var description: String { "cannot open \(path) for writing: \(String(cString: strerror(code)))" }
    }

    /// Takes the lock or throws `Held` at once; never waits.
    public init(databasePath: String) throws {
        path = databasePath + ".lock"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Unwritable(path: path, code: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw Held(path: path)
        }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
