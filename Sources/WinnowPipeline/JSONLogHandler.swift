import Foundation
import Logging
import Synchronization
import WinnowFeeds

/// Where JSON log lines go: stderr (which journald keeps) and a size-rotated file in the log folder.
/// One sink is shared by every logger of the process, so lines never interleave.
public final class LogSink: Sendable {
    struct State {
        var file: FileHandle?
        var written: Int
    }

    let path: String?
    let maxBytes: Int
    let toStderr: Bool
    let state: Mutex<State>

    /// `folder` nil writes to stderr only. The file is `winnowd.log`, rotated to `winnowd.log.1` past `maxBytes`.
    public init(folder: String?, fileName: String = "winnowd.log", maxBytes: Int = 10_000_000, toStderr: Bool = true) throws {
        self.maxBytes = maxBytes
        self.toStderr = toStderr
        if let folder {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = (folder as NSString).appendingPathComponent(fileName)
            self.path = path
            state = Mutex(State(file: try Self.openForAppend(path), written: Self.size(path)))
        } else {
            path = nil
            state = Mutex(State(file: nil, written: 0))
        }
    }

    static func openForAppend(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle.seekToEndOfFile()
        return handle
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    func write(_ line: Data) {
        if toStderr { FileHandle.standardError.write(line) }
        guard let path else { return }
        state.withLock { state in
            if state.written + line.count > maxBytes, state.written > 0 {
                try? state.file?.close()
                try? FileManager.default.removeItem(atPath: path + ".1")
                try? FileManager.default.moveItem(atPath: path, toPath: path + ".1")
                state.file = try? Self.openForAppend(path)
                state.written = 0
            }
            state.file?.write(line)
            state.written += line.count
        }
    }
}

/// A swift-log handler that writes one JSON object a line: time, level, message, label, and metadata
/// under dotted keys (`feed.url`, `http.status`, `dedup.similarity`).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let sink: LogSink

    public init(label: String, level: Logger.Level, sink: LogSink) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: Any] = [
            "time": Self.timestamp(Date()),
            "level": event.level.rawValue,
            "message": event.message.description,
            "logger": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = Self.json(value)
        }
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        sink.write(line)
    }

    static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c):
            if let i = c as? any BinaryInteger { return NSNumber(value: Int64(truncatingIfNeeded: i)) }
            if let d = c as? Double { return d.isFinite ? d : String(d) }
            if let b = c as? Bool { return b }
            return c.description
        case .array(let a): return a.map(json)
        case .dictionary(let d): return d.mapValues(json)
        }
    }

    /// RFC 3339 in UTC with milliseconds; built by hand because ISO8601DateFormatter is not Sendable.
    static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = ms / 1000
        let millis = Int(ms % 1000)
        let days = Int(seconds / 86_400)
        seconds %= 86_400
        let (y, m, d) = FeedDate.civil(fromDays: days)
        func pad(_ v: Int, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m))-\(pad(d))T\(pad(Int(seconds / 3600))):\(pad(Int(seconds % 3600 / 60))):\(pad(Int(seconds % 60))).\(pad(millis, 3))Z"
    }
}
