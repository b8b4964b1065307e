import GRDB
import WinnowPipeline
import WinnowPostgres
import WinnowStore

/// The store a `--db` setting names for writing: a `postgresql://` URL is the shared PostgreSQL store
/// (several processes may write it at once: no lock file), anything else a SQLite file, locked
/// against a running winnowd while this command writes it.
func openStageStore(_ db: String) throws -> (store: any StageStore, lock: DatabaseLock?) {
    if PostgresURL.isPostgres(db) { return (try PostgresStore.open(url: db), nil) }
    let lock = try DatabaseLock(databasePath: db)
    do { return (try ArticleStore.open(path: db), lock) } catch let error as DatabaseError { throw CLIError.database(error, path: db) }
}
