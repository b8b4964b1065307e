import Foundation
import Testing
import WinnowTestSupport

/// A podcast feed with enclosures, iTunes and GeoRSS, polled by the real `winnowd` from a server on
/// 127.0.0.1: its files, picture, running time and place come out of `winnowctl export` and `show`.
@Suite struct MediaExportTests {
    static let feed = """
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:georss="http://www.georss.org/georss"
             xmlns:media="http://search.yahoo.com/mrss/">
        <channel><title>Harbour Radio</title><link>http://127.0.0.1/</link><description>d</description>
        <item>
          <title>The lighthouse keepers</title><link>http://127.0.0.1/ep/1</link><guid>http://127.0.0.1/ep/1</guid>
          <description>Three keepers of the northern light talk about the winter the lamp failed, the ships that passed \
        without seeing the coast, and how the village rowed out with lanterns until the relief boat came.</description>
          <enclosure url="http://127.0.0.1/ep/1.mp3" length="31415926" type="audio/mpeg"/>
          <itunes:duration>1:02:03</itunes:duration>
          <itunes:image href="http://127.0.0.1/ep/1.jpg"/>
          <georss:point>45.256 -71.92</georss:point>
        </item>
        <item>
          <title>Mapping the bay</title><link>http://127.0.0.1/ep/2</link><guid>http://127.0.0.1/ep/2</guid>
          <description>A surveyor walks the shore of the bay with the old charts in hand and finds the sandbanks \
        have moved two hundred metres east since the charts were drawn, taking the channel with them.</description>
          <media:content url="http://127.0.0.1/ep/2.mp4" type="video/mp4" fileSize="2048" medium="video"/>
          <georss:box>42.943 -71.032 43.039 -69.856</georss:box>
        </item>
        <item>
          <title>Letters</title><link>http://127.0.0.1/ep/3</link><guid>http://127.0.0.1/ep/3</guid>
          <description>Listeners write in about the lighthouse episode: a granddaughter of one of the keepers \
        remembers the lanterns, and a sailor recalls the night his ship turned back in time.</description>
        </item>
        </channel></rss>
        """

    @Test func mediaFieldsComeOutOfExportAndShow() async throws {
        let server = try LoopbackHTTPServer { _ in
            HTTPResponse(headers: ["Content-Type": "application/rss+xml"], body: Data(Self.feed.utf8))
        }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try DaemonTests.writeConfig(in: folder, feeds: [("harbour-radio", server.baseURL + "/feed.xml")])
        let daemon = try await runProcess(try TestPaths.binary("winnowd"), ["--config", config.path, "--once"])
        try #require(daemon.status == 0, "\(daemon.stderr)")
        let db = folder.appendingPathComponent("state/winnow.sqlite").path
        let winnowctl = try TestPaths.binary("winnowctl")

        let export = try await runProcess(winnowctl, ["export", "--db", db])
        #expect(export.status == 0, "\(export.stderr)")
        let articles = try ExportTests.lines(export.stdout)
        #expect(articles.count == 3)
        var byTitle: [String: [String: Any]] = [:]
        for article in articles {
            for field in ["enclosures", "image_url", "duration", "location", "text", "status"] {
                #expect(article.keys.contains(field), "field \(field) missing")
            }
            byTitle[article["title"] as? String ?? ""] = article
        }
        let keepers = try #require(byTitle["The lighthouse keepers"])
        let enclosures = try #require(keepers["enclosures"] as? [[String: Any]])
        #expect(enclosures.count == 1)
        #expect(enclosures.first?["url"] as? String == "http://127.0.0.1/ep/1.mp3")
        #expect(enclosures.first?["type"] as? String == "audio/mpeg")
        #expect(enclosures.first?["length"] as? Int == 31_415_926)
        #expect(keepers["image_url"] as? String == "http://127.0.0.1/ep/1.jpg")
        #expect(keepers["duration"] as? Int == 3723)
        let point = try #require(keepers["location"] as? [String: Double])
        #expect(point == ["latitude": 45.256, "longitude": -71.92])

        let bay = try #require(byTitle["Mapping the bay"])
        let video = try #require((bay["enclosures"] as? [[String: Any]])?.first)
        #expect(video["url"] as? String == "http://127.0.0.1/ep/2.mp4")
        #expect(video["type"] as? String == "video/mp4")
        #expect(video["length"] as? Int == 2048)  // Media RSS's fileSize
        let centre = try #require(bay["location"] as? [String: Double])
        #expect(abs(centre["latitude"]! - 42.991) < 1e-9 && abs(centre["longitude"]! - -70.444) < 1e-9)
        #expect(bay["duration"] is NSNull)

        // An item with none: empty list and nulls, the keys still there.
        let letters = try #require(byTitle["Letters"])
        #expect((letters["enclosures"] as? [Any])?.isEmpty == true)
        #expect(letters["image_url"] is NSNull && letters["duration"] is NSNull && letters["location"] is NSNull)

        // `show` prints them, and `show --json` has them.
        let id = try #require(keepers["id"] as? Int)
        let show = try await runProcess(winnowctl, ["show", String(id), "--db", db])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("file:    http://127.0.0.1/ep/1.mp3 (audio/mpeg, 31415926 bytes)"), "\(show.stdout)")
        #expect(show.stdout.contains("image:   http://127.0.0.1/ep/1.jpg"))
        #expect(show.stdout.contains("length:  1:02:03"))
        #expect(show.stdout.contains("place:   45.256, -71.92"))
        let json = try await runProcess(winnowctl, ["show", String(id), "--db", db, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let media = try #require((object["article"] as? [String: Any])?["media"] as? [String: Any])
        #expect(media["duration"] as? Int == 3723)
        #expect((media["enclosures"] as? [[String: Any]])?.first?["url"] as? String == "http://127.0.0.1/ep/1.mp3")
        let bayShow = try await runProcess(winnowctl, ["show", String(try #require(bay["id"] as? Int)), "--db", db])
        #expect(bayShow.stdout.contains("(centre of a Box)"), "\(bayShow.stdout)")
    }
}
