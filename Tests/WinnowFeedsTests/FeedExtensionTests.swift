import Foundation
import Testing
@testable import WinnowFeeds

/// Podcast, photo and map extensions reach both the feedparser-shaped document and the pipeline's
/// FeedItem, whatever prefix the feed gives their namespaces.
@Suite struct FeedExtensionTests {
    static let podcast = """
        <rss version="2.0" xmlns:it="http://www.itunes.com/DTDs/Podcast-1.0.dtd" xmlns:m="http://search.yahoo.com/mrss/"
             xmlns:g="http://www.georss.org/georss" xmlns:gml="http://www.opengis.net/gml" xmlns:geo="http://www.w3.org/2003/01/geo/wgs84_pos#">
        <channel><title>Cast</title>
          <it:owner><it:name>Ann</it:name><it:email>ann@example.com</it:email></it:owner>
          <it:category text="Technology"><it:category text="Gadgets"/></it:category>
          <it:explicit>clean</it:explicit>
          <item><title>One</title><guid>1</guid>
            <enclosure url="http://example.com/1.mp3" length="12345" type="audio/mpeg"/>
            <it:duration>1:02:03</it:duration>
            <it:image href="http://example.com/1.jpg"/>
            <it:keywords>news, tech ,news</it:keywords>
            <g:point>45.256 -71.92</g:point>
          </item>
          <item><title>Two</title><guid>2</guid>
            <m:group>
              <m:content url="http://example.com/2.mp4" type="video/mp4" medium="video" duration="90" width="640" height="360"/>
              <m:thumbnail url="http://example.com/2.jpg" width="120"/>
              <m:credit role="author">Bob</m:credit>
            </m:group>
            <it:duration>bogus</it:duration>
            <georss:where xmlns:georss="http://www.georss.org/georss"><gml:LineString><gml:posList>45 -71 46 -72</gml:posList></gml:LineString></georss:where>
          </item>
          <item><title>Three</title><guid>3</guid><geo:lat>10.5</geo:lat><geo:long>20.25</geo:long><g:polygon>1 2 3</g:polygon></item>
        </channel></rss>
        """

    @Test func podcastFieldsReachTheItem() throws {
        let items = try FeedParser.parse(Data(Self.podcast.utf8)).feed.items
        #expect(items.count == 3)
        #expect(items[0].enclosures == [FeedEnclosure(url: "http://example.com/1.mp3", type: "audio/mpeg", length: 12345)])
        #expect(items[0].duration == 3723)
        #expect(items[0].imageURL == "http://example.com/1.jpg")
        // GeoRSS writes latitude first; the location is GeoJSON's longitude first.
        #expect(items[0].location == FeedLocation(type: "Point", coordinates: [[-71.92, 45.256]]))
        #expect(items[1].enclosures == [FeedEnclosure(url: "http://example.com/2.mp4", type: "video/mp4", medium: "video", duration: 90, width: 640, height: 360)])
        #expect(items[1].imageURL == "http://example.com/2.jpg")
        #expect(items[1].duration == nil)
        #expect(items[1].location == FeedLocation(type: "LineString", coordinates: [[-71, 45], [-72, 46]]))
        // A polygon of too few points is no place; W3C geo's lat/long still is.
        #expect(items[2].location == FeedLocation(type: "Point", coordinates: [[20.25, 10.5]]))
        #expect(items[2].enclosures.isEmpty && items[2].imageURL == nil)
    }

    @Test func extensionsInTheFeedparserShapedDocument() throws {
        let document = try FeedParser.document(Data(Self.podcast.utf8))
        #expect(document.feed["publisher_detail"]?.object?["email"]?.string == "ann@example.com")
        #expect(document.feed["tags"]?.list?.compactMap { $0.object?["term"]?.string } == ["Technology", "Gadgets"])
        #expect(document.feed["itunes_explicit"] == .bool(false))
        #expect(document.entries[0]["tags"]?.list?.compactMap { $0.object?["term"]?.string } == ["news", "tech"])
        #expect(document.entries[1]["media_credit"]?.list?.first?.object?["content"]?.string == "Bob")
        #expect(document.entries[2]["where"] == .object([:]))
    }

    @Test func itemsWrittenBeforeTheMediaFieldsStillDecode() throws {
        let old = #"{"guid":"g","title":"t"}"#
        let item = try JSONDecoder().decode(FeedItem.self, from: Data(old.utf8))
        #expect(item.guid == "g" && item.enclosures.isEmpty && item.location == nil)
        let roundTrip = try JSONDecoder().decode(FeedItem.self, from: JSONEncoder().encode(try FeedParser.parse(Data(Self.podcast.utf8)).feed.items[1]))
        #expect(roundTrip.enclosures.first?.medium == "video")
    }

    @Test func contentStandsInForTheSummaryInTheDocumentOnly() throws {
        let rss = "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>t</title>"
            + "<item><title>a</title><content:encoded>&lt;p&gt;body&lt;/p&gt;</content:encoded></item>"
            + "<item><title>b</title><description>short</description><content:encoded>long</content:encoded></item></channel></rss>"
        let document = try FeedParser.document(Data(rss.utf8))
        #expect(document.entries[0]["summary"]?.string == "<p>body</p>")
        let items = try FeedParser.parse(Data(rss.utf8)).feed.items
        #expect(items[0].summary == nil && items[0].content == "<p>body</p>")
        #expect(items[1].summary == "short" && items[1].content == "long")
    }

    @Test func clockDurations() {
        #expect(FeedParser.clockSeconds("45") == 45)
        #expect(FeedParser.clockSeconds("02:30") == 150)
        #expect(FeedParser.clockSeconds("1:00:00.5") == 3600.5)
        for bad in ["", "1:2:3:4", "1:75", "ten", "-5", "1:-2"] { #expect(FeedParser.clockSeconds(bad) == nil, "\(bad)") }
    }
}
