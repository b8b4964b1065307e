import ArgumentParser
import Foundation
import GRDB
import WinnowClean
import WinnowPipeline
import WinnowPostgres
import WinnowStore

@main
enum WinnowctlMain {
    static func main() async { await CommandRunner.main() }
}

struct Winnowctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "winnowctl",
        abstract: "Inspect and steer Winnow: clean and ingest documents, parse feeds, export articles, show status and duplicates.",
        discussion: "Exit status: 0 success, 64 usage error, 65 bad input data, 66 missing input, 69 daemon or host unreachable, 73 migrate's target holds other data, 74 I/O error, 78 configuration error, 1 anything else (docs/cli.md).",
        version: WinnowVersion.string,
        subcommands: [Clean.self, Ingest.self, ParseFeed.self, Status.self, Dups.self, Show.self, Export.self, Follow.self, Feeds.self,
                      DedupParams.self, Reprocess.self, Migrate.self, Logs.self, FetchNow.self, Pause.self, Resume.self, Reload.self])
}

/// Options shared by commands that read the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database, or a postgresql://USER@HOST:PORT/DBNAME URL (default: the one pipeline.json names).")
    var db: String?

    @Option(name: .long, help: "The configuration whose database to use when --db is not given.")
    var config = "pipeline.json"

    func databasePath() throws -> String {
        if let db { return db }
        guard FileManager.default.fileExists(atPath: config) else {
            throw CLIError(.noInput, "no --db given and no configuration at \(config): pass --db PATH or --config FILE", input: config)
        }
        return try loadConfiguration(config).databasePath
    }

    /// The database, opened for reading (a `postgresql://` URL is the shared PostgreSQL store); errors
    /// name the file or URL and what to do.
    func openStore() throws -> any InspectionStore {
        let location = try databasePath()
        if PostgresURL.isPostgres(location) { return try PostgresStore.openExisting(url: location) }
        return try openReadOnlyStore(location)
    }

    /// The database's path or URL as messages name it (a URL without its password).
    func databaseName() throws -> String { PostgresURL.redacted(try databasePath()) }
}

/// Opens a database for reading, or fails naming the file: missing (66), not a database (65), unreadable (74).
/// `option` is the command-line option that names it, for the messages.
func openReadOnlyStore(_ path: String, option: String = "--db") throws -> ArticleStore {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw CLIError(.noInput, "no database at \(path): start winnowd (or run winnowctl ingest) to create it, or pass \(option)", input: path)
    }
    guard !isFolder.boolValue else { throw CLIError(.dataError, "\(path) is a folder, not a database file: pass the database file with \(option)", input: path) }
    guard access(path, R_OK) == 0 else { throw CLIError(.ioError, "cannot read \(path): permission denied; run as a user who may read it", input: path) }
    do {
        let store = try ArticleStore.openReadOnly(path: path)
        guard try store.isWinnowDatabase() else {  // SQLite reads the header only on first use: this is where a non-database fails
            throw CLIError(.dataError, "\(path) is a SQLite database but not Winnow's (no articles table): pass the database winnowd writes with \(option)", input: path)
        }
        return store
    } catch let error as DatabaseError {
        throw CLIError.database(error, path: path, option: option)
    }
}

/// Reads and validates a configuration: a missing file is 66, an invalid one 78.
func loadConfiguration(_ path: String) throws -> PipelineConfiguration {
    guard FileManager.default.fileExists(atPath: path) else {
        throw CLIError(.noInput, "no configuration at \(path): pass --config FILE (the daemon's pipeline.json)", input: path)
    }
    return try PipelineConfiguration.load(path: path)
}

/// Prints a value as pretty, key-sorted JSON.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Reads a text or HTML document the user named, or fails with a message that names it: a missing
/// file (66), one that cannot be read (74), an empty or binary one (65).
func readDocument(_ path: String) throws -> String {
    // A page in Latin-1 or another declared encoding keeps its accented letters, as `clean` reads it.
    try readDocumentData(path).withUnsafeBytes { Cleaner.text(ofDocument: $0) }
}

/// A document's bytes, or a failure naming the file: missing (66), a folder, empty or not text (65), unreadable (74).
func readDocumentData(_ path: String) throws -> Data {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw CLIError(.noInput, "cannot read \(path): no such file; check the path", input: path)
    }
    guard !isFolder.boolValue else { throw CLIError(.dataError, "\(path) is a folder with no documents in it; name a folder that holds text or HTML files", input: path) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError(.ioError, "cannot read \(path): permission denied or an I/O error; check the file's mode", input: path)
    }
    if let reason = DocumentCheck.refusal(data) {
        throw CLIError(.dataError, "\(path) \(reason); give a text or HTML document", input: path)
    }
    return data
}


