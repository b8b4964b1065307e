import Foundation
import Testing
@testable import WinnowFeeds

/// Hostile HTML in feed content comes out harmless, through the parser as `parse-feed` runs it.
@Suite struct HTMLSanitizerTests {
    /// The entry's summary after parsing an RSS item whose description is `html` (escaped, as feeds
    /// carry HTML).
    static func sanitizedDescription(_ html: String) throws -> String {
        let escaped = html.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        let rss = "<rss version=\"2.0\"><channel><title>t</title><link>http://example.com/</link><item><title>x</title>"
            + "<description>\(escaped)</description></item></channel></rss>"
        let document = try FeedParser.document(Data(rss.utf8), url: "http://example.com/feed/")
        return try #require(document.entries.first?["summary"]?.string)
    }

    /// What in a fragment a browser could run, read independently of the sanitizer: in every tag, its
    /// name and each attribute's name and value (quoted values skipped whole); a `<` that starts no
    /// complete tag counts too, as it could swallow the markup pasted after it.
    static func runnable(_ html: String) -> [String] {
        let b = Array(html.lowercased().utf8)
        var found: [String] = []
        var i = 0
        while let open = b[i...].firstIndex(of: UInt8(ascii: "<")) {
            var k = open + 1
            var quote: UInt8 = 0
            var attributes: [(String, String)] = []
            var name: [UInt8] = [], value: [UInt8] = []
            var inValue = false
            func flush() {
                if !name.isEmpty { attributes.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))) }
                name = []; value = []; inValue = false
            }
            while k < b.count, quote != 0 || b[k] != UInt8(ascii: ">") {
                let c = b[k]
                if quote != 0 {
                    if c == quote { quote = 0; flush() } else { value.append(c) }
                } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    quote = c
                } else if c == UInt8(ascii: "=") {
                    inValue = true
                } else if c == 0x20 || c == 0x0A || c == 0x09 || c == UInt8(ascii: "/") {
                    if inValue && !value.isEmpty || !inValue { flush() }
                } else if inValue {
                    value.append(c)
                } else {
                    name.append(c)
                }
                k += 1
            }
            guard k < b.count else { found.append("unclosed tag"); break }
            flush()
            let tag = attributes.first?.0 ?? ""
            if ["script", "iframe", "object", "embed", "style", "meta", "link", "base", "applet", "frame"].contains(tag) { found.append("<\(tag)") }
            for (attribute, content) in attributes.dropFirst() {
                if attribute.hasPrefix("on") || attribute == "srcdoc" { found.append(attribute) }
                // What a browser reads: references decoded, then controls and white space ignored.
                let decoded = decodeNumericReferences(content).unicodeScalars.filter { $0.value > 0x20 }
                let squeezed = String(String.UnicodeScalarView(decoded)).replacingOccurrences(of: "&colon;", with: ":")
                for scheme in ["javascript:", "vbscript:", "data:"] where squeezed.hasPrefix(scheme) { found.append("\(attribute)=\(scheme)") }
                for call in ["expression(", "url("] where squeezed.contains(call) { found.append("\(attribute)=\(call)") }
            }
            i = k + 1
        }
        return found
    }

    static func decodeNumericReferences(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            rest = rest[amp...]
            let body = rest.dropFirst().prefix { $0 != ";" && $0 != "&" }
            if body.hasPrefix("#"), let code = body.hasPrefix("#x") ? UInt32(body.dropFirst(2), radix: 16) : UInt32(body.dropFirst()),
               let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
                rest = rest.dropFirst(1 + body.count)
                if rest.first == ";" { rest = rest.dropFirst() }
            } else {
                out += "&"
                rest = rest.dropFirst()
            }
        }
        return out + rest
    }

    @Test(arguments: [
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"x\" ONERROR=\"alert(1)\">",
        "<div onmouseover='alert(1)' onclick=\"alert(2)\">t</div>",
        "<body onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"  JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"java\tscript:alert(1)\">x</a>",
        "<a href=\"javascript&#58;alert(1)\">x</a>",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<img src=\"javascript:alert(1)\">",
        "<img src=\"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+\">",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
        "<p style=\"width: expression(alert(1))\">x</p>",
        "<p style=\"background: url(javascript:alert(1))\">x</p>",
        "<p style=\"color: red; -moz-binding: url(http://evil/x.xml#x)\">x</p>",
        "<p style=\"color:red;/**/x:expression(alert(1))\">x</p>",
        "<script>alert(1)</script>after",
        "<SCRIPT SRC=http://evil/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<iframe src=\"http://evil/\"></iframe>",
        "<object data=\"http://evil/x.swf\"></object><embed src=\"x.swf\">",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<svg><script>alert(1)</script><a xlink:href=\"javascript:alert(1)\"><circle r=\"5\"/></a></svg>",
        "<math><a xlink:href=\"javascript:alert(1)\">x</a></math>",
        "<img src=x onerror=alert(1)//",
        "<b/<img src=x onerror=alert(1)>/",
        "<!--><img src=x onerror=alert(1)>-->",
        "<!---><img src=x onerror=alert(1)>-->",
        "<!-- a --!><img src=x onerror=alert(1)>-->",
        "<![CDATA[<img src=x onerror=alert(1)>]]>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        // Found by HTMLSanitizerFuzzTests: an SVG animation setting a link's href (feedparser keeps it).
        "<svg><a><animate attributeName=\"href\" to=\"javascript:alert(1)\"/><text>x</text></a></svg>",
        "<svg><a><set attributeName=\"xlink:href\" to=\"&#106;avascript:alert(1)\"/><text>x</text></a></svg>",
        "<svg><a><animate attributeName=\"href\" values=\"http://ok/;JAVASCRIPT:alert(1)\"/><text>x</text></a></svg>",
        // Found by HTMLSanitizerFuzzTests: a lone `<` joined to the text after dropped markup (feedparser
        // writes `<img src=x onerror=alert(1)>` for the first).
        "<</>img src=x onerror=alert(1)>",
        "x<<!-->img src=x onerror=alert(1)>",
        "x<<?pi?>img src=x onerror=alert(1)>",
        "x<<>img src=x onerror=alert(1)>",
        "<svg><scriframe../upstyle>alert(1)</script></svg>",
    ])
    func hostileMarkupIsDisarmed(_ html: String) throws {
        // Through the parser, relative references resolved against the feed's URL...
        let clean = try Self.sanitizedDescription(html)
        #expect(Self.runnable(clean).isEmpty, "\(html) -> \(clean)")
        // ...and alone, without a base, where a hidden scheme is not made relative.
        let alone = HTMLSanitizer.sanitize(html)
        #expect(Self.runnable(alone).isEmpty, "\(html) -> \(alone)")
    }

    @Test func safeMarkupIsKeptAndWrittenAsFeedparserWritesIt() throws {
        #expect(try Self.sanitizedDescription("<P CLASS=x Title='a'>Hello <B>world</B><BR/></P>") == "<p class=\"x\" title=\"a\">Hello <b>world</b><br /></p>")
        #expect(try Self.sanitizedDescription("<a href=\"/post\" rel=\"NoFollow\">x</a>") == "<a href=\"http://example.com/post\" rel=\"nofollow\">x</a>")
        #expect(try Self.sanitizedDescription("<img src=\"pic.jpg\" alt=\"a &amp; b\">") == "<img alt=\"a &amp; b\" src=\"http://example.com/feed/pic.jpg\" />")
        #expect(try Self.sanitizedDescription("<p style=\"color: red; position: absolute\">x</p>") == "<p style=\"color: red;\">x</p>")
        #expect(try Self.sanitizedDescription("a &copy; b &#150; c &bogus; d") == "a &copy; b &#x2013; c &amp;bogus d")
        // A quote inside a value cannot end it.
        #expect(try Self.sanitizedDescription("<a href=\"http://ok/\" onclick=\"x\" title='a\"onmouseover=\"alert(1)'>x</a>")
            == "<a href=\"http://ok/\" title=\"a&quot;onmouseover=&quot;alert(1)\">x</a>")
    }

    @Test func deepAndUnclosedMarkupStaysLinear() throws {
        let deep = String(repeating: "<div><span><b>", count: 50_000) + "text"
        let clean = try Self.sanitizedDescription(deep)
        #expect(clean.hasSuffix("text"))
        #expect(clean.utf8.count <= deep.utf8.count + 16)
        let unclosed = String(repeating: "<a href=\"http://x/\" title=\"", count: 20_000)
        let cleanUnclosed = try Self.sanitizedDescription(unclosed)
        #expect(Self.runnable(cleanUnclosed).isEmpty)
        let comments = String(repeating: "<!-- ", count: 50_000) + "<img src=x onerror=alert(1)>"
        #expect(Self.runnable(try Self.sanitizedDescription(comments)).isEmpty)
    }

    /// A 10 MB description, hostile all through: sanitized whole (the suite's time limit catches a
    /// pass that is not linear), its output no larger than its input.
    @Test(.timeLimit(.minutes(1))) func tenMegabyteDescription() throws {
        let unit = "<p onclick=\"alert(1)\" style=\"width: expression(alert(1))\">text &amp; <a href=\"javascript:x\">link</a>"
            + "<script>evil()</script><img src=\"data:x\" onerror=y></p>"
        let html = String(repeating: unit, count: 10_000_000 / unit.utf8.count + 1)
        #expect(html.utf8.count > 10_000_000)
        let clean = try Self.sanitizedDescription(html)
        #expect(Self.runnable(clean).isEmpty)
        #expect(clean.utf8.count < html.utf8.count)
        #expect(clean.hasPrefix("<p>text &amp; <a href=\"\">link</a><img src=\"\" /></p>"))
    }

    @Test func thePipelineKeepsHTMLAsReceived() throws {
        let rss = "<rss version=\"2.0\"><channel><title>t</title><item><title>x</title>"
            + "<description>&lt;p onclick=\"x\"&gt;hi&lt;/p&gt;</description></item></channel></rss>"
        #expect(try FeedParser.parse(Data(rss.utf8)).feed.items[0].summary == "<p onclick=\"x\">hi</p>")
        #expect(try FeedParser.document(Data(rss.utf8)).entries[0]["summary"]?.string == "<p>hi</p>")
    }
}
