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
