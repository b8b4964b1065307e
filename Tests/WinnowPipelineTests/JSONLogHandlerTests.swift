import Foundation
import Logging
import Testing
@testable import WinnowPipeline
import WinnowTestSupport

/// The log lines people tail and scripts parse: one JSON object a line, whatever the metadata holds.
@Suite struct JSONLogHandlerTests {
    @Test func everyLineIsOneJSONObjectWithItsValuesIntact() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sink = try LogSink(folder: folder.path, toStderr: false)
        var logger = Logger(label: "winnowd") { JSONLogHandler(label: $0, level: .info, sink: sink) }
        logger[metadataKey: "feed.name"] = "quotes \" back\\slash /slash"
        logger[metadataKey: "shared"] = "the logger's"
        logger[metadataKey: "level"] = "not the line's level"
        let awkward = "line\nbreak\ttab \u{01} control, ünïcödé, 🗞️, \r"
        logger.info("fetched \(awkward)", metadata: [
            "http.status": .stringConvertible(200), "dedup.similarity": .stringConvertible(0.875),
            "flag": .stringConvertible(true), "count": .stringConvertible(Int64.max),
            "list": .array(["a", .stringConvertible(2)]), "nested": .dictionary(["k": "v"]), "shared": "the event's",
        ])
        logger.debug("below the level")
        let text = try String(contentsOf: folder.appendingPathComponent("winnowd.log"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "fetched \(awkward)")
        #expect(object["feed.name"] as? String == "quotes \" back\\slash /slash")
        #expect(object["http.status"] as? Int == 200)
        #expect(object["dedup.similarity"] as? Double == 0.875)
        #expect(object["flag"] as? Bool == true)
        #expect((object["count"] as? NSNumber)?.int64Value == Int64.max)
        #expect((object["list"] as? [Any])?.count == 2)
        #expect((object["nested"] as? [String: String]) == ["k": "v"])
        #expect(object["level"] as? String == "info" && object["logger"] as? String == "winnowd")
        #expect(object["shared"] as? String == "the event's", "the event's metadata wins over the logger's")
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
        // Keys are written sorted, so lines diff and grep predictably.
        let keys = lines[0].split(separator: ",").compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: CharacterSet(charactersIn: "{\"")) }
        #expect(keys.first == "count")
    }
}
