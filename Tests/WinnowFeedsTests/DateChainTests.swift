import Foundation
import Testing
@testable import WinnowFeeds

/// The 72 strings of feedparser's dates.jsonl, each inside a real feed (RSS `<pubDate>`, `<dc:date>`,
/// Atom `<updated>`) and read through the parser, not one date reader: the whole reader chain must
/// give the listed value, or no date (the raw string kept) where the list gives none.
@Suite struct DateChainTests {
    struct Case { let format: String, input: String, seconds: Int? }

    static func cases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus/feedparser/dates.jsonl")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return Case(format: row["format"] as? String ?? "", input: row["input"] as? String ?? "",
                        seconds: (row["utc"] as? String).map(FeedParserTests.secondsSince1970))
        }
    }

    /// "22013" is listed without a date because the list tests one reader per line: it is the W3C-DTF
    /// reader's case (a five-digit year is no W3C-DTF year). Through a chain the whole string is an
    /// ISO 8601 ordinal date with a two-digit year (YYDDD: 2022, day 13), the very form of "03335",
    /// which the list dates 2003-12-01 (the ISO reader's case). feedparser 6.0.14's own chain gives
    /// 2022-01-13 for it through `<pubDate>`, `<dc:date>` and Atom `<updated>` alike (checked
    /// 12-03 with feedparser.parse), so there is no general reading that gives "03335" a date and
    /// "22013" none; the chain reads both, and this one case is checked for what it gives.
    static let ordinalTwoDigitYear = ["22013": FeedParserTests.secondsSince1970("2022-01-13T00:00:00Z")]

    static func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }

    @Test func everyListedStringThroughPubDateDcDateAndAtomUpdated() throws {
        let cases = try Self.cases()
        #expect(cases.count == 72)
        var wrong: [String] = []
        var dated = 0, undated = 0
        for c in cases {
            let want = Self.ordinalTwoDigitYear[c.input] ?? c.seconds
            let text = Self.escaped(c.input)
            let rss = "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title>"
                + "<item><title>a</title><pubDate>\(text)</pubDate></item><item><title>b</title><dc:date>\(text)</dc:date></item></channel></rss>"
            let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><title>c</title><updated>\(text)</updated></entry></feed>"
            // The pipeline's model: a date, or none with the string kept as written.
            let items = try FeedParser.parse(Data(rss.utf8)).feed.items + FeedParser.parse(Data(atom.utf8)).feed.items
            #expect(items.count == 3)
            for (item, element) in zip(items, ["pubDate", "dc:date", "updated"]) {
                let got = item.published.map { Int($0.timeIntervalSince1970) }
                if got != want { wrong.append("\(element) \(c.format) '\(c.input)': \(got.map(String.init) ?? "none"), want \(want.map(String.init) ?? "none")") }
                if got == nil, !c.input.trimmed.isEmpty, item.publishedRaw != c.input.trimmed { wrong.append("\(element) '\(c.input)': raw not kept") }
            }
            // The feedparser-shaped document: the *_parsed tuple, null when there is no date.
            let documents = [try FeedParser.document(Data(rss.utf8)), try FeedParser.document(Data(atom.utf8))]
            let tuples = [documents[0].entries[0]["published_parsed"], documents[0].entries[1]["updated_parsed"], documents[1].entries[0]["updated_parsed"]]
            for tuple in tuples where tuple?.date.map({ Int($0.timeIntervalSince1970) }) != want {
                wrong.append("document '\(c.input)': \(String(describing: tuple))")
            }
            if want == nil { undated += 1 } else { dated += 1 }
        }
        #expect(wrong.isEmpty, "\(wrong.count) wrong: \(wrong.joined(separator: "; "))")
        // Both kinds are there: the check could fail either way.
        #expect(dated > 40 && undated > 20)
    }

    /// Strings a reader can read only the start of are not dates: never the day they begin with, nor
    /// midnight for a clock that is not one.
    @Test func aDateReadOnlyInPartIsNoDate() {
        for partial in ["2013-01-27-01", "2013-xx-27", "2013-01-28T09:xx:00Z", "2013-01-28T09:00:00+00:xx",
                        "2013-01-28T11:30:00-06:00Textra", "2004-07-13 and more", "03-12-31 garbage", "031231T10"] {
            #expect(FeedDate.parse(partial) == nil, "\(partial)")
        }
        // The same forms, whole, are dates.
        for whole in ["2013-01-27", "2013-01-28T09:00:00Z", "2013-01-28T09:00:00+00:00", "031231", "2003-12-31T10:14:55+0000"] {
            #expect(FeedDate.parse(whole) != nil, "\(whole)")
        }
    }
}
