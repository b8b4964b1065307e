import ArgumentParser
import Foundation
import WinnowPipeline

/// `winnowctl logs [-f] [--level L] [--feed NAME] [--since T]`: the daemon's JSON log for people
/// (aligned, coloured on a terminal) or, with --json, as the JSON lines themselves.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the daemon's log, filtered; -f follows it.")

    @Flag(name: [.short, .customLong("follow")], help: "Keep printing new lines as they are written (across rotations).")
    var follow = false

    @Option(name: .long, help: "The lowest level shown: trace, debug, info, notice, warning, error, critical.")
    var level: String = "trace"

    @Option(name: .long, help: "Only lines about this feed (feed.name).")
    var feed: String?

    @Option(name: .long, help: "Only lines since this time: a duration ago (\"15m\", \"2h\") or an RFC 3339 time.")
    var since: String?

    @Option(name: .long, help: "The log file (default: winnowd.log in the log folder pipeline.json names).")
    var file: String?

    @Option(name: .long, help: "The configuration whose log folder to read.")
    var config = "pipeline.json"

    @Flag(name: .long, help: "Print the matching JSON lines as they are.")
    var json = false

    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    func validate() throws {
        guard Self.levels.contains(level) else { throw ValidationError("--level \(level) is not one of \(Self.levels.joined(separator: ", "))") }
        if let since, Self.cutoff(since) == nil {
            throw ValidationError("--since \(since) is neither a duration like \"15m\" nor an RFC 3339 time like 2026-11-23T08:00:00Z")
        }
    }

    func run() throws {
        let path = try file ?? {
            guard FileManager.default.fileExists(atPath: config) else {
                throw CLIError(.noInput, "no --file given and no configuration at \(config): pass --file PATH or --config FILE", input: config)
            }
            return (try PipelineConfiguration.load(path: config).logFolder as NSString).appendingPathComponent("winnowd.log")
        }()
        let minimum = Self.levels.firstIndex(of: level)!
        let cutoff = since.flatMap(Self.cutoff)
        let color = !json && isatty(STDOUT_FILENO) != 0
        var reader = try LineReader(path: path)
        func emit(_ line: Substring) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return }
            let lineLevel = object["level"] as? String ?? "info"
            guard (Self.levels.firstIndex(of: lineLevel) ?? 0) >= minimum else { return }
            if let feed, object["feed.name"] as? String != feed { return }
            if let cutoff, let time = object["time"] as? String, time < cutoff { return }
            print(json ? String(line) : Self.human(object, color: color))
        }
        for line in try reader.readAvailable() { emit(line) }
        guard follow else { return }
        while true {
            Thread.sleep(forTimeInterval: 0.25)
            for line in try reader.readAvailable() { emit(line) }
            fflush(nil)
        }
    }

    /// The earliest time shown, as an RFC 3339 string (they compare as text).
    static func cutoff(_ since: String) -> String? {
        if since.contains("T"), since.count >= 20 { return since }
        guard let seconds = PipelineConfiguration.seconds(inDuration: since) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date().addingTimeInterval(-seconds))
    }

    /// `08:01:22.911  info     feed fetched  feed.name=harbour http.status=200 items.new=3`
    static func human(_ object: [String: Any], color: Bool) -> String {
        let time = (object["time"] as? String).map { String($0.dropFirst(11).prefix(12)) } ?? ""
        let level = object["level"] as? String ?? "info"
        let message = object["message"] as? String ?? ""
        let rest = object.keys.filter { !["time", "level", "message", "logger"].contains($0) }.sorted().map { key -> String in
            let value = object[key]!
            if let s = value as? String { return "\(key)=\(s.contains(" ") ? "\"\(s)\"" : s)" }
            if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) {
                return "\(key)=\(String(decoding: data, as: UTF8.self))"
            }
            return "\(key)=\(value)"
        }.joined(separator: " ")
        var levelText = level.padding(toLength: 8, withPad: " ", startingAt: 0)
        if color {
            let code: String
            switch level {
            case "error", "critical": code = "31"
            case "warning": code = "33"
            case "notice": code = "36"
            case "debug", "trace": code = "2"
            default: code = "32"
            }
            levelText = "\u{1B}[\(code)m\(levelText)\u{1B}[0m"
        }
        return "\(time)  \(levelText) \(message)\(rest.isEmpty ? "" : "  " + rest)"
    }
}

/// Reads complete lines appended to a file, following it when it is rotated (a new file at the path).
struct LineReader {
    let path: String
    var handle: FileHandle
    var inode: UInt64
    var pending = Data()

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError(.noInput, "cannot read the log \(path): is winnowd writing there? (see logs.folder in pipeline.json)", input: path)
        }
        self.path = path
        self.handle = handle
        inode = Self.inode(path)
    }

    static func inode(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    mutating func readAvailable() throws -> [Substring] {
        pending.append(handle.readDataToEndOfFile())
        let current = Self.inode(path)
        if current != 0, current != inode, let next = FileHandle(forReadingAtPath: path) {
            // Rotated: finish the old file (done above), then continue with the new one.
            try? handle.close()
            handle = next
            inode = current
            pending.append(handle.readDataToEndOfFile())
        }
        guard let lastNewline = pending.lastIndex(of: 0x0A) else { return [] }
        let complete = String(decoding: pending[pending.startIndex...lastNewline], as: UTF8.self)
        pending = Data(pending[pending.index(after: lastNewline)...])
        return complete.split(separator: "\n")
    }
}
