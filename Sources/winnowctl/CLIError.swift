import ArgumentParser
import Foundation
import GRDB
import WinnowPipeline
import WinnowPostgres
import WinnowStore

/// The exit statuses winnowctl promises (docs/cli.md), after BSD's sysexits.h, so a script can tell a
/// mistake in its own call from bad data, a missing file, a daemon that is down or a full disk.
enum ExitStatus: Int32, Encodable {
    case ok = 0
    case failure = 1       // anything else
    case usage = 64        // EX_USAGE: the command line is wrong
    case dataError = 65    // EX_DATAERR: the input is not what the command reads (binary, empty, not a database)
    case noInput = 66      // EX_NOINPUT: a named file, article or feed does not exist
    case unavailable = 69  // EX_UNAVAILABLE: the daemon or a host cannot be reached, or answered with an error
    case software = 70     // EX_SOFTWARE: a bug in winnowctl
    case cantCreate = 73   // EX_CANTCREAT: the output cannot be made there (migrate's target holds other data)
    case ioError = 74      // EX_IOERR: reading or writing a file failed
    case config = 78       // EX_CONFIG: the configuration is invalid
}

/// A failure to report: what went wrong for which input, what to do, and the exit status it earns.
struct CLIError: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String
    /// The file, URL, feed or config field the error is about, for `--json` readers.
    var input: String?

    init(_ status: ExitStatus, _ message: String, input: String? = nil) {
        self.status = status
        self.message = message
        self.input = input
    }

    var description: String { message }

    /// Any error as a CLIError, with the exit status its kind earns.
    static func from(_ error: any Error) -> CLIError {
        switch error {
        case let error as CLIError:
            return error
        case let error as ConfigurationError:
            return CLIError(.config, "\(error)", input: error.path.isEmpty ? nil : error.path)
        case let error as StoreError:
            if case .missingDatabase(let path) = error { return CLIError(.noInput, "\(error)", input: path) }
            return CLIError(.dataError, "\(error)")
        case let error as ControlClient.Unavailable:
            return CLIError(.unavailable, "\(error)", input: error.path)
        case let error as DatabaseLock.Held:
            return CLIError(.failure, "\(error)", input: error.path)
        case let error as DatabaseLock.Unwritable:
            return CLIError(.ioError, "\(error): check the folder's permissions and free space", input: error.path)
        case let error as DatabaseError:
            return database(error, path: nil)
        case let error as MigrationTargetRefused:
            return CLIError(.cantCreate, "\(error)", input: error.url)
        case let error as PGError:
            // No SQLSTATE: the server could not be reached or refused the connection.
            let unreachable = error.sqlState == nil || error.sqlState!.hasPrefix("08")
            return CLIError(unreachable ? .unavailable : .failure, "\(error)", input: error.url)
        case let error as CocoaError:
            let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? error.userInfo[NSURLErrorKey].map { "\($0)" }
            return CLIError(.ioError, "cannot access \(path ?? "a file"): \(cocoaReason(error))", input: path)
        default:
            return CLIError(.failure, "\(error)")
        }
    }

    /// A SQLite error, said as what it means for the database file the user named.
    static func database(_ error: DatabaseError, path: String?, option: String = "--db") -> CLIError {
        let name = path ?? "the database"
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return CLIError(.dataError, "\(name) is not a SQLite database (is it the right file? pass the database winnowd writes with \(option))", input: path)
        case .SQLITE_CORRUPT:
            return CLIError(.dataError, "\(name) is damaged (SQLite reports corruption): restore it from a backup", input: path)
        case .SQLITE_CANTOPEN:
            return CLIError(.noInput, "cannot open \(name): check that it exists and that its folder is readable", input: path)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return CLIError(.ioError, "cannot write \(name): it or its folder is read-only for this user", input: path)
        case .SQLITE_FULL:
            return CLIError(.ioError, "cannot write \(name): the disk is full", input: path)
        case .SQLITE_IOERR:
            return CLIError(.ioError, "reading or writing \(name) failed with an I/O error", input: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return CLIError(.unavailable, "\(name) stayed locked by another process; try again", input: path)
        default:
            return CLIError(.failure, "\(name): SQLite error \(error.resultCode.rawValue): \(error.message ?? "")", input: path)
        }
    }

    static func cocoaReason(_ error: CocoaError) -> String {
        switch error.code {
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied; check the folder's owner and mode"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
        case .fileWriteOutOfSpace: return "the disk is full"
        case .fileWriteVolumeReadOnly: return "the file system is read-only"
        default: return "error \(error.code.rawValue)"
        }
    }
}

/// Runs winnowctl: parses the command line, runs the command, and turns every failure into a message
/// on standard error (or a JSON object on standard output with `--json`) and the exit status the
/// contract gives its kind.
enum CommandRunner {
    static var wantsJSON: Bool { CommandLine.arguments.dropFirst().contains("--json") }

    static func main() async {
        // Help is printed here: through this runner ArgumentParser's help request came out as its raw error.
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains(where: { $0 == "--help" || $0 == "-h" }) || arguments.first == "help" {
            let name = arguments.first == "help" ? arguments.dropFirst().first : arguments.first
            let subcommand = Winnowctl.configuration.subcommands.first { $0._commandName == name }
            print(subcommand.map { Winnowctl.helpMessage(for: $0) } ?? Winnowctl.helpMessage())
            exit(0)
        }
        var command: ParsableCommand
        do {
            command = try parse(arguments)
        } catch {
            // --version exits 0 through the parser's own path; a bad command line is a usage error.
            let code = Winnowctl.exitCode(for: error)
            if code == .success || !wantsJSON { Winnowctl.exit(withError: error) }
            report(CLIError(.usage, Winnowctl.message(for: error)))
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let error as ValidationError {
            report(CLIError(.usage, error.message))
        } catch {
            report(CLIError.from(error))
        }
        exit(0)
    }

    /// The command line parsed. A command over many files gets its options and its first file through
    /// ArgumentParser and the whole list from here: ArgumentParser's positional parsing grows with the square
    /// of the count (10,000 files took 4.7 s before a file was read).
    static func parse(_ arguments: [String]) throws -> ParsableCommand {
        guard let name = arguments.first,
              let type = Winnowctl.configuration.subcommands.first(where: { $0._commandName == name }) as? FileListCommand.Type
        else { return try Winnowctl.parseAsRoot(arguments) }
        let (options, files) = splitFiles(Array(arguments.dropFirst()), valueOptions: type.valueOptions)
        var command = try Winnowctl.parseAsRoot([name] + options + (files.first.map { ["--", $0] } ?? [])) as! FileListCommand
        command.files = files.flatMap(documents(in:))
        try command.validate()
        return command
    }

    /// The documents a path names: a file itself; a folder's files, in its subfolders too, by path, hidden
    /// ones left out (a corpus is a folder; 100,000 names do not fit on a command line). A folder with
    /// none stays itself, for the reader to refuse by name. Links to files count; links to folders are
    /// not followed (they can loop).
    static func documents(in path: String) -> [String] {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return [path] }
        var found: [String] = []
        var folders = [path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path]
        while let folder = folders.popLast() {
            guard let handle = opendir(folder) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name.hasPrefix(".") { continue }
                let full = folder + "/" + name
                // readdir says what most entries are; for the others (and links) stat says.
                var type = Int32(entry.pointee.d_type)
                if type == Int32(DT_UNKNOWN) || type == Int32(DT_LNK) {
                    var target = stat()
                    guard stat(full, &target) == 0 else { continue }
                    let isFolder = target.st_mode & S_IFMT == S_IFDIR
                    type = isFolder ? (type == Int32(DT_LNK) ? -1 : Int32(DT_DIR)) : target.st_mode & S_IFMT == S_IFREG ? Int32(DT_REG) : -1
                }
                if type == Int32(DT_DIR) { folders.append(full) } else if type == Int32(DT_REG) { found.append(full) }
            }
        }
        return found.isEmpty ? [path] : found.sorted()
    }

    /// The files of a command line (every argument that is not an option or an option's value, and all
    /// after `--`), and the rest, in order.
    static func splitFiles(_ arguments: [String], valueOptions: Set<String>) -> (options: [String], files: [String]) {
        var options: [String] = [], files: [String] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "--" { files += arguments[(i + 1)...]; break }
            if argument.hasPrefix("-") && argument != "-" {
                options.append(argument)
                if valueOptions.contains(argument), i + 1 < arguments.count { options.append(arguments[i + 1]); i += 1 }
            } else {
                files.append(argument)
            }
            i += 1
        }
        return (options, files)
    }

    static func report(_ error: CLIError) -> Never {
        if wantsJSON {
            struct Failure: Encodable {
                var ok = false
                var error: String
                var exit_code: Int32
                var input: String?
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(Failure(error: error.message, exit_code: error.status.rawValue, input: error.input))) ?? Data()
            print(String(decoding: data, as: UTF8.self))
        } else if !error.message.isEmpty {
            FileHandle.standardError.write(Data("winnowctl: \(error.message)\n".utf8))
        }
        exit(error.status.rawValue)
    }
}

/// A command that takes a list of files (see `CommandRunner.parse`).
protocol FileListCommand: ParsableCommand {
    var files: [String] { get set }
    /// The command's options that take a value (`--db PATH`): the argument after one is not a file.
    static var valueOptions: Set<String> { get }
}
