import Foundation
import Testing
import WinnowTestSupport
@testable import WinnowFeeds

/// Seeded random markup through the sanitizer: hostile tags and attributes glued together at random,
/// hostile fragments cut at every kind of place, random byte soup, and multi-byte UTF-8 split
/// mid-character. Whatever comes in, the sanitizer must not crash, must keep its output within a
/// constant factor of its input, and must let nothing out that a browser would run — judged by
/// `BrowserTags`, which reads the output the way an HTML5 tokenizer does, independently of the
/// sanitizer's own reading. Replay a failure with the `WINNOW_TEST_SEED` its message names.
@Suite struct HTMLSanitizerFuzzTests {
    static let pieces: [String] = [
        "<", ">", "</", "/>", "/", "<!--", "-->", "--!>", "<!-->", "<!", "<?", "?>", "<![CDATA[", "]]>", "<!DOCTYPE x>",
        "=", "\"", "'", "`", " ", "\t", "\n", "\r\n", "\u{0}", "&", "&#", "&#x", ";", "#", "&amp;", "&lt;", "&colon;", "&Tab;",
        "&#58;", "&#x3A;", "&#0000106", "&#150;", "&bogus;", "&#99999999999;",
        "a", "img", "script", "style", "svg", "math", "iframe", "p", "b", "div", "textarea", "title", "animate", "set", "x", "A",
        "SCRIPT", "table", "object", "embed", "applet", "meta", "base", "form", "button", "xmp", "noscript", "plaintext",
        "href", "src", "onerror", "onclick", "OnLoad", "style", "xlink:href", "srcdoc", "title", "attributeName", "to", "values",
        "xmlns", "background", "action", "formaction", "poster", "lowsrc",
        "javascript:alert(1)", "JaVaScRiPt:", "java\tscript:", "&#106;avascript:", "&#x6A;avascript:", "data:text/html,",
        "vbscript:", " javascript:", "\u{1}javascript:", "expression(alert(1))", "url(javascript:x)", "-moz-binding:url(x)",
        "color: red;", "background: red", "http://ok.example/", "/rel", "../up", "mailto:x@y",
        "é", "€", "😀", "\u{2028}", "\u{FEFF}", "日本",
    ]

    /// Bytes that start or continue a UTF-8 character without finishing it.
    static let brokenUTF8: [[UInt8]] = [[0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0x80], [0xBF], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80]]

    static let hostile: [String] = [
        "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">x</a>", "<svg><script>alert(1)</script></svg>",
        "<p style=\"width: expression(alert(1))\">x</p>", "<scr<script>ipt>alert(1)</script>", "<!--><img src=x onerror=alert(1)>-->",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>", "<b/<img src=x onerror=alert(1)>/",
        "<math><a xlink:href=\"javascript:alert(1)\">x</a></math>", "<![CDATA[<img src=x onerror=alert(1)>]]>",
        "<svg><a><animate attributeName=\"href\" to=\"javascript:alert(1)\"/><text>x</text></a></svg>",
        "<div title=\"é€😀\">日本 <a href='/r?a=1&b=2'>l</a></div>",
    ]

    static func piecesSoup(_ rng: inout SplitMix) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<(1 + rng.nextInt() % 40) {
            if rng.nextInt() % 12 == 0 {
                bytes += brokenUTF8[rng.nextInt() % brokenUTF8.count]
            } else {
                bytes += Array(pieces[rng.nextInt() % pieces.count].utf8)
            }
        }
        return bytes
    }

    /// One input of one of four kinds: glued pieces, a hostile fragment cut anywhere (inside a
    /// multi-byte character too), pieces spliced into a hostile fragment, random bytes.
    static func input(_ rng: inout SplitMix) -> [UInt8] {
        switch rng.nextInt() % 4 {
        case 0:
            return piecesSoup(&rng)
        case 1:
            let whole = Array(hostile[rng.nextInt() % hostile.count].utf8)
            let from = rng.nextInt() % (whole.count / 2 + 1)
            return Array(whole[from..<(from + rng.nextInt() % (whole.count - from + 1))])
        case 2:
            var whole = Array(hostile[rng.nextInt() % hostile.count].utf8)
            whole.insert(contentsOf: piecesSoup(&rng), at: rng.nextInt() % (whole.count + 1))
            return whole
        default:
            // Mostly markup bytes, so that random bytes still make tags.
            let alphabet = Array("<>/=\"' &#;!-?ax".utf8)
            return (0..<(rng.nextInt() % 120)).map { _ in rng.nextInt() % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[rng.nextInt() % alphabet.count] }
        }
    }

    /// A base of 25 bytes is added at most once per attribute (two input bytes at least), references
    /// grow at most sixfold: the bound is generous and still linear.
    static func bounded(_ output: String, _ input: Int) -> Bool { output.utf8.count <= 16 * input + 64 }

    @Test(.timeLimit(.minutes(1))) func randomMarkupIsSanitizedSafely() {
        var rng = SplitMix.forTest(seed: 24)
        for round in 0..<20_000 {
            let bytes = Self.input(&rng)
            let html = String(decoding: bytes, as: UTF8.self)
            let (base, xhtml) = [("", false), ("http://127.0.0.1/a/b.html", false), ("http://127.0.0.1/", true)][round % 3]
            let clean = HTMLSanitizer.sanitize(html, baseURL: base, xhtml: xhtml)
            let found = BrowserTags.runnable(clean)
            #expect(found.isEmpty, "\(rng), round \(round): \(html.debugDescription) -> \(clean.debugDescription): \(found)")
            #expect(Self.bounded(clean, html.utf8.count), "\(rng), round \(round): \(html.debugDescription) grew to \(clean.utf8.count) bytes")
            // What is already safe stays safe when it passes again (exported HTML is sanitized again
            // where it leaves Winnow).
            let again = HTMLSanitizer.sanitize(clean, baseURL: base, xhtml: xhtml)
            #expect(BrowserTags.runnable(again).isEmpty, "\(rng), round \(round): second pass of \(clean.debugDescription) -> \(again.debugDescription)")
            if !found.isEmpty { return }
        }
    }

    /// Through the parser, as `parse-feed` runs it: the description carries the raw bytes escaped, so
    /// a multi-byte character split in the fragment is split in the feed too.
    @Test(.timeLimit(.minutes(1))) func randomMarkupThroughTheParser() throws {
        var rng = SplitMix.forTest(seed: 2401)
        for round in 0..<3_000 {
            let bytes = Self.input(&rng)
            var escaped: [UInt8] = []
            for c in bytes {
                switch c {
                case UInt8(ascii: "&"): escaped += Array("&amp;".utf8)
                case UInt8(ascii: "<"): escaped += Array("&lt;".utf8)
                case 0..<0x20 where c != 0x09 && c != 0x0A && c != 0x0D: escaped += Array("&#xFFFD;".utf8)  // not allowed in XML
                default: escaped.append(c)
                }
            }
            let feed = Array("<rss version=\"2.0\"><channel><title>t</title><item><title>x</title><description>".utf8) + escaped
                + Array("</description></item></channel></rss>".utf8)
            let document = try FeedParser.document(Data(feed), url: "http://127.0.0.1/feed/")
            let summary = document.entries.first?["summary"]?.string ?? ""
            #expect(BrowserTags.runnable(summary).isEmpty, "\(rng), round \(round): \(String(decoding: bytes, as: UTF8.self).debugDescription) -> \(summary.debugDescription)")
            #expect(Self.bounded(summary, bytes.count), "\(rng), round \(round): grew to \(summary.utf8.count) bytes")
        }
    }

    /// The checker itself finds what it is meant to find (a checker that finds nothing passes every
    /// fuzz round).
    @Test func theBrowserReaderFindsScript() {
        #expect(BrowserTags.runnable("<p>ok <a href=\"http://x/\" title=\"javascript:x\">l</a><!-- <script> --></p>").isEmpty)
        #expect(BrowserTags.runnable("a < b <1 </> x").isEmpty)
        #expect(BrowserTags.runnable("<textarea><img src=x onerror=y></textarea>").isEmpty)
        #expect(BrowserTags.runnable("<img src=x onerror=y>") == ["onerror"])
        #expect(BrowserTags.runnable("<a href=\" &#x6A;ava&Tab;script&colon;x\">") == ["href=javascript:"])
        #expect(BrowserTags.runnable("<a href=\"java&#5;script:x\"><svg><a attributeName=\"href\" to=\"javascript:x\"></a></svg>").isEmpty)
        #expect(BrowserTags.runnable("<p style=\"x: expression(1)\">") == ["style=expression("])
        #expect(BrowserTags.runnable("<!--><script>") == ["<script"])
        #expect(BrowserTags.runnable("<svg><animate attributeName=\"href\" values=\"javascript:x\"/></svg>") == ["animate=javascript:"])
        #expect(BrowserTags.runnable("<p>text <img src=x") == ["unclosed tag"])
    }
}

/// What in an HTML fragment a browser could run, read the way an HTML5 tokenizer reads tags: a tag
/// opens only at `<` followed by a letter, comments end at `-->` or `--!>` (or at once for `<!-->`),
/// raw-text elements hide their content, values are quoted or run to white space.
enum BrowserTags {
    static let dangerousElements: Set<String> = ["script", "iframe", "object", "embed", "applet", "frame", "frameset", "meta", "link",
                                                 "base", "style", "foreignobject", "handler", "listener"]
    static let uriAttributes: Set<String> = ["href", "src", "lowsrc", "dynsrc", "datasrc", "background", "action", "formaction",
                                             "xlink:href", "poster", "data", "codebase", "classid", "cite", "longdesc", "usemap", "profile"]
    static let animations: Set<String> = ["animate", "set", "animatecolor", "animatemotion", "animatetransform"]
    static let rawText: Set<String> = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]

    static func runnable(_ html: String) -> [String] {
        let b = Array(html.utf8)
        let n = b.count
        var found: [String] = []
        var i = 0
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D }
        func lower(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self).lowercased() }
        func skip(to needle: String, from: Int) -> Int? {
            let needle = Array(needle.utf8)
            var k = from
            while k + needle.count <= n {
                if zip(b[k..<(k + needle.count)], needle).allSatisfy({ ($0 | 0x20) == ($1 | 0x20) }) { return k }
                k += 1
            }
            return nil
        }
        while i < n {
            guard b[i] == UInt8(ascii: "<"), i + 1 < n else { i += 1; continue }
            let next = b[i + 1]
            if next == UInt8(ascii: "!") {
                if i + 3 < n, b[i + 2] == UInt8(ascii: "-"), b[i + 3] == UInt8(ascii: "-") {
                    var k = i + 4
                    if k < n, b[k] == UInt8(ascii: ">") { i = k + 1; continue }
                    if k + 1 < n, b[k] == UInt8(ascii: "-"), b[k + 1] == UInt8(ascii: ">") { i = k + 2; continue }
                    var end = n
                    while k + 2 < n {
                        if b[k] == UInt8(ascii: "-"), b[k + 1] == UInt8(ascii: "-"), b[k + 2] == UInt8(ascii: ">") { end = k + 3; break }
                        if k + 3 < n, b[k] == UInt8(ascii: "-"), b[k + 1] == UInt8(ascii: "-"), b[k + 2] == UInt8(ascii: "!"), b[k + 3] == UInt8(ascii: ">") { end = k + 4; break }
                        k += 1
                    }
                    i = end
                } else {
                    i = (b[(i + 2)...].firstIndex(of: UInt8(ascii: ">")) ?? n - 1) + 1  // bogus comment
                }
                continue
            }
            if next == UInt8(ascii: "?") { i = (b[(i + 2)...].firstIndex(of: UInt8(ascii: ">")) ?? n - 1) + 1; continue }
            let end = next == UInt8(ascii: "/")
            let nameStart = end ? i + 2 : i + 1
            guard nameStart < n, isLetter(b[nameStart]) else {
                if end { i = (b[(i + 2)...].firstIndex(of: UInt8(ascii: ">")) ?? n - 1) + 1 } else { i += 1 }
                continue
            }
            var k = nameStart
            while k < n, !isSpace(b[k]), b[k] != UInt8(ascii: "/"), b[k] != UInt8(ascii: ">") { k += 1 }
            let tag = lower(b[nameStart..<k])
            var attributes: [(String, String)] = []
            var closed = false
            while k < n {
                while k < n, isSpace(b[k]) || b[k] == UInt8(ascii: "/") { k += 1 }
                guard k < n else { break }
                if b[k] == UInt8(ascii: ">") { closed = true; k += 1; break }
                let nameStart = k
                k += 1
                while k < n, !isSpace(b[k]), b[k] != UInt8(ascii: "/"), b[k] != UInt8(ascii: ">"), b[k] != UInt8(ascii: "=") { k += 1 }
                let name = lower(b[nameStart..<k])
                while k < n, isSpace(b[k]) { k += 1 }
                var value: ArraySlice<UInt8> = []
                if k < n, b[k] == UInt8(ascii: "=") {
                    k += 1
                    while k < n, isSpace(b[k]) { k += 1 }
                    if k < n, b[k] == UInt8(ascii: "\"") || b[k] == UInt8(ascii: "'") {
                        guard let close = b[(k + 1)...].firstIndex(of: b[k]) else { k = n; break }
                        value = b[(k + 1)..<close]
                        k = close + 1
                    } else {
                        let valueStart = k
                        while k < n, !isSpace(b[k]), b[k] != UInt8(ascii: ">") { k += 1 }
                        value = b[valueStart..<k]
                    }
                }
                attributes.append((name, String(decoding: value, as: UTF8.self)))
            }
            guard closed else { found.append("unclosed tag"); break }
            i = k
            if end { continue }
            if dangerousElements.contains(tag) { found.append("<\(tag)") }
            var animated = false
            for (name, value) in attributes {
                if name.hasPrefix("on") || name == "srcdoc" { found.append(name) }
                if name == "attributename", animations.contains(tag), ["href", "xlink:href"].contains(browserValue(value)) { animated = true }
            }
            for (name, value) in attributes {
                let seen = browserValue(value)
                if uriAttributes.contains(name) || (animated && ["to", "from", "values", "by"].contains(name)) {
                    // An animation's `values` is a `;`-separated list, read after references are decoded.
                    let items = animated ? seen.split(separator: ";").map(String.init) : [seen]
                    for scheme in ["javascript:", "vbscript:", "data:"] where items.contains(where: { $0.hasPrefix(scheme) }) {
                        found.append(animated && !uriAttributes.contains(name) ? "\(tag)=\(scheme)" : "\(name)=\(scheme)")
                    }
                }
                if name == "style" {
                    for call in ["expression(", "url(", "javascript:", "-moz-binding", "behavior:"] where seen.contains(call) { found.append("style=\(call)") }
                }
            }
            if rawText.contains(tag) {
                i = skip(to: "</\(tag)", from: i) ?? n
            }
        }
        return found
    }

    /// A value as a browser's URL parser sees it: references decoded, leading controls and spaces
    /// dropped, tabs and line breaks dropped anywhere, lower-cased.
    static func browserValue(_ value: String) -> String {
        var out = ""
        var rest = Substring(value)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            rest = rest[rest.index(after: amp)...]
            if rest.first == "#" {
                let hex = rest.dropFirst().first.map { $0 == "x" || $0 == "X" } ?? false
                let digits = rest.dropFirst(hex ? 2 : 1).prefix { hex ? $0.isHexDigit : $0.isNumber }
                if let code = UInt32(digits, radix: hex ? 16 : 10), let scalar = Unicode.Scalar(code) {
                    out.unicodeScalars.append(scalar)
                    rest = rest.dropFirst((hex ? 2 : 1) + digits.count)
                    if rest.first == ";" { rest = rest.dropFirst() }
                    continue
                }
            } else {
                let name = rest.prefix { $0.isLetter }
                let named: [String: String] = ["colon": ":", "tab": "\t", "newline": "\n", "amp": "&", "lpar": "(", "rpar": ")"]
                if let replacement = named[name.lowercased()] {
                    out += replacement
                    rest = rest.dropFirst(name.count)
                    if rest.first == ";" { rest = rest.dropFirst() }
                    continue
                }
            }
            out += "&"
        }
        out += rest
        let scalars = out.lowercased().unicodeScalars.drop { $0.value <= 0x20 }.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }
        return String(String.UnicodeScalarView(scalars))
    }
}
