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
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
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

    /// The line's own fields, which metadata of the same name does not replace.
    static let ownFields: Set<String> = ["time", "level", "message", "logger"]

    public func log(event: LogEvent) {
        // A sorted list, not merged dictionaries: hashing every key into two dictionaries and again to
        // sort them was half of this handler's time in a poll cycle (5% of the daemon's CPU).
        var fields: [(key: String, value: Logger.MetadataValue)] = [
            ("time", .string(Self.timestamp(Date()))), ("level", .string(event.level.rawValue)),
            ("message", .string(event.message.description)), ("logger", .string(label)),
        ]
        let extra = event.metadata ?? [:]
        for (key, value) in metadata where extra[key] == nil && !Self.ownFields.contains(key) { fields.append((key, value)) }
        for (key, value) in extra where !Self.ownFields.contains(key) { fields.append((key, value)) }
        fields.sort { $0.key < $1.key }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(UInt8(ascii: "{"))
        for (n, field) in fields.enumerated() {
            if n > 0 { line.append(UInt8(ascii: ",")) }
            Self.appendString(field.key, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.append(field.value, to: &line)
        }
        line.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        sink.write(Data(line))
    }

    /// JSON written by hand, keys sorted, slashes and non-ASCII text as they are. JSONSerialization took a
    /// fifth of the daemon's CPU in a poll cycle of 10,000 feeds (it sorts keys as AnyHashable).
    static func append(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
        switch value {
        case .string(let s): appendString(s, to: &out)
        case .stringConvertible(let c):
            if let i = c as? any BinaryInteger {
                out.append(contentsOf: String(Int64(truncatingIfNeeded: i)).utf8)
            } else if let d = c as? Double {
                if d.isFinite { out.append(contentsOf: (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)).utf8) } else { appendString(String(d), to: &out) }
            } else if let b = c as? Bool {
                out.append(contentsOf: (b ? "true" : "false").utf8)
            } else {
                appendString(c.description, to: &out)
            }
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let entries):
            out.append(UInt8(ascii: "{"))
            for (n, key) in entries.keys.sorted().enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(entries[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                let hex = { (digit: UInt8) in digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10 }
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex(byte >> 4), hex(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
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
