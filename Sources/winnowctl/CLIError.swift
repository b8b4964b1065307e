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
    static func database(_ error: DatabaseError, path: String?) -> CLIError {
        let name = path ?? "the database"
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return CLIError(.dataError, "\(name) is not a SQLite database (is it the right file? pass the database winnowd writes with --db)", input: path)
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
        let command: ParsableCommand
        do {
            command = try Winnowctl.parseAsRoot()
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
