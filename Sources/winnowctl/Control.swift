import ArgumentParser
import Foundation
import WinnowPipeline

/// Where the running daemon listens: `--socket`, or the control socket pipeline.json names.
struct SocketOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon's control socket (default: the one pipeline.json names).")
    var socket: String?

    @Option(name: .long, help: "The configuration whose control socket to use.")
    var config = "pipeline.json"

    func socketPath() throws -> String {
        if let socket { return socket }
        guard FileManager.default.fileExists(atPath: config) else {
            throw CLIError(.noInput, "no --socket given and no configuration at \(config): pass --socket PATH or --config FILE", input: config)
        }
        return try loadConfiguration(config).controlSocketPath
    }

    /// Sends a request and turns a refusal into an error that names what was wrong, with the exit
    /// status the daemon gave its kind (a refused configuration 78, an unknown feed 66), also with --json.
    func send(_ request: ControlRequest, json: Bool) throws {
        let response = try ControlClient.send(request, to: try socketPath())
        guard response.ok else {
            let status = response.code.flatMap { ExitStatus(rawValue: Int32($0)) } ?? .failure
            throw CLIError(status, response.error ?? "winnowd refused \(request.command) without saying why; see its log", input: request.feed)
        }
        if json { return try printJSON(response) }
        print(response.message ?? "ok")
    }
}

/// `winnowctl fetch-now FEED|--all`
struct FetchNow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch-now", abstract: "Make a feed (or every feed) due now in the running daemon.")
    @Argument(help: "The feed's name.") var feed: String?
    @Flag(name: .long, help: "Every feed.") var all = false
    @OptionGroup var daemon: SocketOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func validate() throws {
        guard all != (feed != nil) else { throw ValidationError("name one feed, or pass --all") }
    }

    func run() throws { try daemon.send(ControlRequest(command: "fetch-now", feed: feed, all: all ? true : nil), json: json) }
}

/// `winnowctl pause FEED`
struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop polling a feed until it is resumed (survives restarts).")
    @Argument(help: "The feed's name.") var feed: String
    @OptionGroup var daemon: SocketOptions
    @Flag(name: .long, help: "Print JSON.") var json = false
    func run() throws { try daemon.send(ControlRequest(command: "pause", feed: feed), json: json) }
}

/// `winnowctl resume FEED`
struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Poll a paused feed again.")
    @Argument(help: "The feed's name.") var feed: String
    @OptionGroup var daemon: SocketOptions
    @Flag(name: .long, help: "Print JSON.") var json = false
    func run() throws { try daemon.send(ControlRequest(command: "resume", feed: feed), json: json) }
}

/// `winnowctl reload`
struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Have the running daemon re-read its configuration (as SIGHUP does).")
    @OptionGroup var daemon: SocketOptions
    @Flag(name: .long, help: "Print JSON.") var json = false
    func run() throws { try daemon.send(ControlRequest(command: "reload"), json: json) }
}
