import Foundation

/// Where a JSON syntax error is, as "line L, column C" the user can go to.
enum JSONSyntax {
    static func describe(_ error: any Error, in data: Data) -> String {
        let nsError = error as NSError
        let detail = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
        // Foundation names the line and column in some releases and only the byte offset in others.
        if detail.contains("line") { return detail }
        var offset = nsError.userInfo["NSJSONSerializationErrorIndex"] as? Int
        if offset == nil, let range = detail.range(of: #"character \d+"#, options: .regularExpression) {
            offset = Int(detail[range].dropFirst("character ".count))
        }
        guard let offset else { return detail }
        let (line, column) = position(of: offset, in: data)
        // "Invalid value around character 58." says what; the line and column say where.
        let what = detail.replacingOccurrences(of: #"\s*around character \d+\.?"#, with: "", options: .regularExpression)
        return "\(what.isEmpty ? "syntax error" : what) at line \(line), column \(column)"
    }

    /// The 1-based line and column of a byte offset.
    static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}

/// pipeline.json parsed into Foundation values ([String: Any], [Any], String, NSNumber, NSNull), the
/// shape the validation reads. Decoded through JSONDecoder into a small enum first: JSONSerialization
/// took 330 MB for a 9.4 MB file of 100,000 feeds (600,000 feeds ran out of 2 GB), this takes 100 MB.
/// A syntax error is described by JSONSerialization, which says where it is.
public enum ConfigJSON {
    public static func parse(_ data: Data) throws -> Any {
        do {
            return try JSONDecoder().decode(Value.self, from: data).foundation
        } catch {
            // Its error says where; if it reads what JSONDecoder did not, take its reading.
            return try JSONSerialization.jsonObject(with: data)
        }
    }

    indirect enum Value: Decodable {
        case string(String), integer(Int), number(Double), bool(Bool), null, array([Value]), object([String: Value])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            // Strings first: most values in a configuration are strings.
            if c.decodeNil() { self = .null }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int.self) { self = .integer(i) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let a = try? c.decode([Value].self) { self = .array(a) }
            else { self = .object(try c.decode([String: Value].self)) }
        }

        /// Booleans become NSNumbers of C type `char`, as JSONSerialization makes them (JSONObject.isBoolean).
        var foundation: Any {
            switch self {
            case .string(let s): return s
            case .integer(let i): return NSNumber(value: i)
            case .number(let n): return NSNumber(value: n)
            case .bool(let b): return NSNumber(value: b)
            case .null: return NSNull()
            case .array(let a): return a.map(\.foundation)
            case .object(let o): return o.mapValues(\.foundation)
            }
        }
    }
}
