import Foundation
import GRDB
import Synchronization

/// Copies the write-ahead log back into the database file on its own connection and thread.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the writer's
/// thread: in an ingest that thread was the bottleneck, and copying pages (and syncing them) took about
/// a tenth of it. Here each commit only looks at the log's size; past `threshold` a passive checkpoint
/// is queued on a utility thread, which copies while the writer goes on, and the writer restarts the log
/// at its next transaction once the copy has caught up. The writer's own automatic checkpoint stays on
/// at a larger size (`ArticleStore.writerCheckpointPages`), so the log stays bounded if this thread
/// falls behind. A checkpoint is SQLite's own crash-safe operation: a process killed in the middle of
/// one loses nothing.
final class WALCheckpointer: TransactionObserver, Sendable {
    private let walPath: String
    private let threshold: Int
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "winnow.wal-checkpoint", qos: .utility)
    private let queued = Atomic<Bool>(false)

    /// Opens a second connection to the database at `path`.
    init(path: String, threshold: Int) throws {
        walPath = path + "-wal"
        self.threshold = threshold
        var config = Configuration()
        config.busyMode = .timeout(1)
        connection = try DatabaseQueue(path: path, configuration: config)
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidRollback(_ db: Database) {}

    func databaseDidCommit(_ db: Database) {
        var info = stat()
        guard stat(walPath, &info) == 0, Int(info.st_size) >= threshold,
              queued.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        queue.async { [self] in
            defer { queued.store(false, ordering: .releasing) }
            // Busy (the writer's own checkpoint holds the lock) or failed: the next commit queues another.
            _ = try? connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
        }
    }
}
