import ArgumentParser
import Foundation

@main
struct Winnowctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "winnowctl",
        abstract: "Inspect and steer Winnow: clean and ingest documents, parse feeds, show status and duplicates.",
        subcommands: [Clean.self, Ingest.self, ParseFeed.self, Status.self, Dups.self, Show.self, DedupParams.self, Reprocess.self, Logs.self, FetchNow.self, Pause.self, Resume.self, Reload.self])
}

/// Options shared by commands that read the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database (default: the one pipeline.json names).")
    var db: String?

    @Option(name: .long, help: "The configuration whose database to use when --db is not given.")
    var config = "pipeline.json"

    func databasePath() throws -> String {
        if let db { return db }
        guard FileManager.default.fileExists(atPath: config) else {
            throw ValidationError("no --db given and no configuration at \(config): pass --db PATH or --config FILE")
        }
        return try PipelineConfiguration.load(path: config).databasePath
    }
}

/// Prints a value as pretty, key-sorted JSON.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Reads a file the user named, or fails with a message that names it.
func readDocument(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(path): check that the file exists and is readable")
    }
    return String(decoding: data, as: UTF8.self)
}

import WinnowPipeline
