import Foundation
import Testing
@testable import WinnowClean

/// Finding the article in a page: what stays, what goes and by which rule, and the page's metadata.
@Suite struct ArticleExtractionTests {
    static let paragraphs = [
        "The city council voted on Tuesday to close the old harbour bridge to cars from next spring, ending a decade of argument over its future.",
        "Engineers told the council that the bridge, built in 1931, could no longer carry heavy traffic safely, and that repairs would cost more than a new crossing.",
        "Cyclists and pedestrians will keep using the bridge, which the council wants to turn into a park with benches, trees and a small market on weekends.",
        "Shop owners on the north bank said they feared losing customers, and asked for a bus line to replace the traffic the bridge used to bring.",
    ]

    /// A news page as sites build them: menus, a cookie banner, share bar, the article with a figure and
    /// an inline ad, a newsletter box, related cards, comments and a footer.
    static let page = """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
        <title>Harbour bridge to close to cars | The Daily Example</title>
        <meta property="og:title" content="Harbour bridge to close to cars">
        <meta property="og:url" content="https://news.example/city/harbour-bridge">
        <link rel="canonical" href="https://news.example/city/harbour-bridge?ref=canonical">
        <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Example"},
          {"@type":"NewsArticle","headline":"Harbour bridge to close to cars","datePublished":"2026-11-20T08:30:00Z",
           "author":[{"@type":"Person","name":"Ana Ruiz"},{"@type":"Person","name":"Tom Berg"}]}]}</script>
        <script>var html = "<p>not text</p>";</script><style>p { color: red }</style></head>
        <body>
        <div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. <button>Accept all</button></div>
        <header class="site-header"><a href="/">The Daily Example</a><nav><a href="/city">City</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
        <main>
        <article>
          <h1>Harbour bridge to close to cars</h1>
          <div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
          <figure><img src="bridge.jpg"><figcaption>The old harbour bridge at dusk. (Photo: Example/Reuters)</figcaption></figure>
          <div class="article-body">
            <p>\(paragraphs[0])</p>
            <p>\(paragraphs[1])</p>
            <div class="ad-slot" id="ad-inline-1">Advertisement</div>
            <p>\(paragraphs[2])</p>
            <p>\(paragraphs[3])</p>
          </div>
          <div class="newsletter-signup"><p>Get the best of the city in your inbox every morning. Sign up for our free newsletter today.</p><form><input type="email"><button>Sign up</button></form></div>
        </article>
        <section class="related-stories">
          <div class="card"><img src="a.jpg"><h3><a href="/a">Ferry timetable changes this winter</a></h3><p>The ferry company will run fewer boats on Sundays from December.</p></div>
          <div class="card"><img src="b.jpg"><h3><a href="/b">New library opens in the east district</a></h3><p>The library has room for 200 readers and a café.</p></div>
          <div class="card"><img src="c.jpg"><h3><a href="/c">Night buses return to the centre</a></h3><p>Three lines will run all night on Fridays and Saturdays.</p></div>
        </section>
        <div id="comments"><h2>Comments</h2><p>Great news, I have waited years for this to happen, and it is about time the council listened to residents.</p></div>
        </main>
        <footer><p>© 2026 The Daily Example. All rights reserved.</p><a href="/about">About us</a></footer>
        </body></html>
        """

    @Test func theArticleStaysWholeAndInOrder() throws {
        let doc = try Cleaner().clean(document: Self.page, explain: true)
        #expect(doc.text == Self.paragraphs.joined(separator: "\n\n"))
    }

    @Test func everyKindOfBoilerplateGoesWithItsRule() throws {
        let doc = try Cleaner().clean(document: Self.page, explain: true)
        func rule(_ fragment: String) -> String? { doc.removed.first { $0.text.contains(fragment) }?.ruleID }
        #expect(rule("We use cookies") == "html.class.consent")
        #expect(rule("Share on Facebook") == "html.class.share")
        #expect(rule("The old harbour bridge at dusk") == "html.element.figure")
        #expect(rule("Advertisement") == "html.class.advertising")
        #expect(rule("Sign up for our free newsletter") == "html.class.newsletter")
        #expect(rule("Ferry timetable changes") == "html.class.related")
        #expect(rule("I have waited years") == "html.class.comments")
        #expect(rule("All rights reserved") == "html.element.footer")
        #expect(rule("Sport") == "html.element.header")
        // The headline is metadata, not body.
        #expect(doc.title == "Harbour bridge to close to cars")
        #expect(rule("Harbour bridge to close to cars") != nil)
        #expect(!doc.text.contains("not text") && !doc.text.contains("color: red"))
    }

    @Test func withoutExplainingOnlyWhatWasTakenFromTheArticleIsListed() throws {
        let brief = try Cleaner().clean(document: Self.page)
        let explained = try Cleaner().clean(document: Self.page, explain: true)
        #expect(brief.text == explained.text)
        #expect(brief.removed.contains { $0.text == "Advertisement" && $0.ruleID == "html.class.advertising" })
        #expect(!brief.removed.contains { $0.text.contains("All rights reserved") })
        #expect(explained.removed.count > brief.removed.count)
    }

    @Test func metadataComesFromJSONLDThenOpenGraphAndLinks() throws {
        let doc = try Cleaner().clean(document: Self.page)
        #expect(doc.title == "Harbour bridge to close to cars")
        #expect(doc.author == "Ana Ruiz, Tom Berg")
        #expect(doc.published == "2026-11-20T08:30:00Z")
        #expect(doc.canonicalURL == "https://news.example/city/harbour-bridge?ref=canonical")

        // Without JSON-LD: Open Graph title, meta author (its "By" dropped), article:published_time, og:url.
        let plain = """
            <html><head><meta property="og:title" content="Night buses return"><meta name="author" content="By Lena Park">
            <meta property="article:published_time" content="2026-11-21T22:00:00+01:00"><meta property="og:url" content="https://news.example/buses">
            </head><body><p>\(Self.paragraphs[0])</p></body></html>
            """
        let second = try Cleaner().clean(document: plain)
        #expect(second.title == "Night buses return")
        #expect(second.author == "Lena Park")
        #expect(second.published == "2026-11-21T22:00:00+01:00")
        #expect(second.canonicalURL == "https://news.example/buses")
        // The feed's own title and author win over the page's.
        let fromFeed = try Cleaner().clean(document: plain, title: "Feed title", author: "Feed Author")
        #expect(fromFeed.title == "Feed title" && fromFeed.author == "Feed Author")
    }

    @Test func hiddenTextGoesButPullQuotesHiddenOnlyFromScreenReadersStay() throws {
        let html = """
            <html><body><article>
            <p>\(Self.paragraphs[0])</p>
            <div style="display: none">A hidden duplicate of the whole story for some script to show later on.</div>
            <div hidden>Log in to keep reading this article and many more like it every day.</div>
            <blockquote class="pull-quote" aria-hidden="true">Repairs would cost more than a new crossing.</blockquote>
            <p>\(Self.paragraphs[1])</p>
            </article></body></html>
            """
        let doc = try Cleaner().clean(document: html)
        #expect(!doc.text.contains("hidden duplicate") && !doc.text.contains("Log in to keep reading"))
        #expect(doc.text.contains("Repairs would cost more than a new crossing."))
    }

    @Test func teaserCardsGoButTheArticlesOwnListStays() throws {
        let items = (1...4).map { "<li><strong><a href=\"/s\($0)\">Point \($0) of the plan</a>.</strong> The council will spend more on buses and bike lanes in district \($0) next year, it said.</li>" }
        let cards = (1...4).map { "<div class=\"teaser\"><img src=\"\($0).jpg\"><h4><a href=\"/t\($0)\">Other story number \($0) from the city desk</a></h4><p>A short summary of story \($0).</p></div>" }
        let html = "<html><body><div class=\"story\"><p>\(Self.paragraphs[0])</p><ol>\(items.joined())</ol><p>\(Self.paragraphs[1])</p></div><div class=\"feed\">\(cards.joined())</div></body></html>"
        let doc = try Cleaner().clean(document: html, explain: true)
        #expect(doc.text.contains("Point 3 of the plan. The council will spend more on buses"))
        #expect(!doc.text.contains("Other story number"))
        #expect(doc.removed.contains { $0.ruleID == "html.repeated-teasers" && $0.text.contains("Other story number 2") })
    }

    @Test func aStreamOfOneLineTeasersLongerThanTheStoryBesideItIsCut() throws {
        // Sixteen cards of a headline link and one line of summary hold more article-like text than the
        // short story (eight paragraphs): still a list of other stories, not the page's content.
        let cards = (1...16).map {
            "<li class=\"stream-item\"><a href=\"/s\($0)\"><img src=\"\($0).jpg\"></a><h3><a href=\"/s\($0)\">Other story \($0)</a></h3><p>A summary of other story number \($0), which the news desk wrote in one long sentence for the stream.</p></li>"
        }
        let html = """
            <html><body><div id="main"><section class="story"><div class="body">
            \((Self.paragraphs + Self.paragraphs.map { "Later, " + $0 }).map { "<p>\($0)</p>" }.joined())
            </div></section><div class="remote"><ul id="stream">\(cards.joined())</ul></div></div></body></html>
            """
        let doc = try Cleaner().clean(document: html, explain: true)
        for paragraph in Self.paragraphs { #expect(doc.text.contains(paragraph)) }
        #expect(!doc.text.contains("A summary of other story"))
        #expect(doc.removed.contains { $0.ruleID == "html.repeated-teasers" && $0.text.contains("other story number 7") })
    }

    @Test func factBoxesBetweenTheArticlesParagraphsStay() throws {
        // Boxes of one class, each with a heading, a skip link and a link or two, set between the
        // paragraphs: shaped like teaser cards, but the article's own.
        let boxes = (1...3).map {
            "<div class=\"story-feature\"><a class=\"skip\" href=\"#p\($0)\">Continue reading</a><h2>Facts about the bridge, part \($0)</h2><ul><li>Built in 1931 by the harbour board of the city</li><li>Carries \($0)0,000 cars a day across the river mouth</li><li>Painted green since the last repair works</li></ul><ul class=\"links\"><li><a href=\"/b\($0)\">History of the bridge</a></li></ul></div>"
        }
        let html = """
            <html><body><article>
            <p>\(Self.paragraphs[0])</p>\(boxes[0])<p>\(Self.paragraphs[1])</p>\(boxes[1])<p>\(Self.paragraphs[2])</p>\(boxes[2])<p>\(Self.paragraphs[3])</p>
            </article></body></html>
            """
        let doc = try Cleaner().clean(document: html)
        for paragraph in Self.paragraphs { #expect(doc.text.contains(paragraph)) }
        #expect(doc.text.contains("Carries 20,000 cars a day across the river mouth"))
        #expect(doc.text.contains("Facts about the bridge, part 3"))
    }

    @Test func thePostsLastSectionOfTheSameClassStays() throws {
        // A post laid out in sections of one class: the first holds most of the text, the last two short
        // paragraphs (a seventh of it) after a figure: still the post's.
        let long = (0..<3).flatMap { n in Self.paragraphs.map { "<p>Part \(n): \($0)</p>" } }.joined()
        let html = """
            <html><body><div class="post"><div class="section-inner column">\(long)</div>
            <div class="section-inner wide"><figure><img src="a.jpg"><figcaption>A slide from the launch</figcaption></figure></div>
            <div class="section-inner column"><h3>What comes next</h3><p>We will keep growing the guide slowly, adding tutorials, and expect to polish it before the autumn term begins.</p><p>Let us talk: if you want to help or have thoughts on any of this, write to the team and we will answer.</p></div>
            </div><div class="sidebar"><p>About the author of this blog, who writes about journalism, news and the web.</p></div></body></html>
            """
        let doc = try Cleaner().clean(document: html)
        #expect(doc.text.contains("Part 2: Shop owners on the north bank"))
        #expect(doc.text.contains("We will keep growing the guide slowly"))
        #expect(doc.text.contains("Let us talk: if you want to help"))
        #expect(!doc.text.contains("About the author of this blog"))
    }

    @Test func anInlineCaptionThatSwallowedTheStoryStays() throws {
        // The caption's credit <span> is never closed: the story runs on inside it as plain text, with no
        // block of its own, and must not go with the caption.
        let html = """
            <html><body><div class="entry-content"><p class="wp-caption-text">Our reporter asks the question. <span class="wp-caption-text attribution">(\(Self.paragraphs.joined(separator: "\n\n"))
            </span></p><p>And so the council will meet again in the spring to decide what the bridge becomes.</p></div></body></html>
            """
        let doc = try Cleaner().clean(document: html)
        for paragraph in Self.paragraphs { #expect(doc.text.contains(paragraph)) }
        // A caption of a line still goes.
        let short = try Cleaner().clean(document: "<html><body><article><p>\(Self.paragraphs[0])</p><p>\(Self.paragraphs[1]) <span class=\"caption\">(Photo: City archive)</span></p></article></body></html>")
        #expect(short.text.contains(Self.paragraphs[1]) && !short.text.contains("City archive"))
    }

    @Test func lineCitingLinksStaysButARunOfLinksGoes() throws {
        // A digest's items: mostly link text, but with words of their own around the links.
        let html = """
            <html><body><article><p>\(Self.paragraphs[0])</p><p>\(Self.paragraphs[1])</p><ul>
            <li>Thanks to <a href="/u/1">evilpie</a>, users of the browser can now <a href="/b/1">import saved logins from KeePass files</a></li>
            <li><a href="/u/2">Ankush</a> fixed an old issue in the add-on manager with <a href="/b/2">revoked devtools page permissions for extensions</a></li>
            </ul><p><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport and weather</a></p><p>\(Self.paragraphs[2])</p></article></body></html>
            """
        let doc = try Cleaner().clean(document: html)
        #expect(doc.text.contains("Thanks to evilpie, users of the browser can now import saved logins from KeePass files"))
        #expect(doc.text.contains("Ankush fixed an old issue in the add-on manager with revoked devtools page permissions for extensions"))
        #expect(!doc.text.contains("Sport and weather"))
    }

    @Test func entitiesAndEncodingsAreDecodedAsBrowsersDo() throws {
        // Legacy references work without ";" and take the longest known name ("&notanentity;" reads
        // "¬anentity;" in every browser); unknown ones stay as written.
        let html = "<html><body><p>Caf&eacute; &amp; bar &pound5 &#8212; &#x2019;quoted&#146; &#150; &zzz; &notin; &notanentity; 3 &lt; 4, &copy Example, and much more text here.</p></body></html>"
        let doc = try Cleaner().clean(document: html)
        #expect(doc.text == "Café & bar £5 — ’quoted’ – &zzz; ∉ ¬anentity; 3 < 4, © Example, and much more text here.")

        // Windows-1252 bytes, declared: "naïve café – “quoted”".
        var bytes = Array(#"<html><head><meta charset="windows-1252"></head><body><p>"#.utf8)
        bytes += [0x6E, 0x61, 0xEF, 0x76, 0x65, 0x20, 0x63, 0x61, 0x66, 0xE9, 0x20, 0x96, 0x20, 0x93, 0x71, 0x75, 0x6F, 0x74, 0x65, 0x64, 0x94]
        bytes += Array("</p></body></html>".utf8)
        let decoded = try bytes.withUnsafeBytes { try Cleaner().clean(htmlBytes: $0) }
        #expect(decoded.text == "naïve café – “quoted”")
    }

    @Test func brokenMarkupIsReadTheWayBrowsersRecover() throws {
        // Unclosed paragraphs and list items, a stray end tag, an unclosed attribute quote at the very end.
        let (first, second) = (ArticleExtractionTests.paragraphs[0], ArticleExtractionTests.paragraphs[1])
        let html = "<html><body><div><p>\(first)<p>\(second)</span></b><ul><li>one, the first point of the list that follows.<li>two, the second point of it.</ul></div><p>Last <a href=\"x"
        let doc = try Cleaner().clean(document: html)
        #expect(doc.text.hasPrefix("\(first)\n\n\(second)\n\none, the first point"))
        #expect(doc.text.contains("list that follows.\n\ntwo, the second point of it."))
    }
}

/// Runs CPU-heavy test work on a thread of its own: Swift Testing runs tests on the cooperative pool
/// (two threads on a two-core machine), and a long synchronous test there starves the tests that wait
/// on loopback servers and timers.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Pages built to hurt: each gives a result or a clear error, in time and memory bounded by its size.
@Suite struct HostileHTMLTests {
    @Test func deepNestingOfAHundredThousandLevelsIsWalkedWithoutRecursion() async throws {
        let depth = 100_000
        let (nested, unclosed) = try await offThePool {
            let html = String(repeating: "<div><span>", count: depth) + "The text at the bottom of a very deep page, which is still found."
                + String(repeating: "</span></div>", count: depth)
            // Unclosed all the way down, and stray end tags that match nothing.
            let unclosed = String(repeating: "<div>", count: depth) + "Bottom text of an unclosed page." + String(repeating: "</section>", count: depth)
            return (try Cleaner().clean(document: html).text, try Cleaner().clean(document: "<html>" + unclosed).text)
        }
        #expect(nested == "The text at the bottom of a very deep page, which is still found.")
        #expect(unclosed == "Bottom text of an unclosed page.")
    }

    @Test func aFiftyMegabytePageIsReadInOnePass() async throws {
        // 50 MB: an inline script of 48 MB (such pages exist: embedded data) around a real article.
        let script = "<script>var data = \"" + String(repeating: "A", count: 48_500_000) + "\";</script>"
        let article = ArticleExtractionTests.paragraphs.map { "<p>\($0)</p>" }.joined()
        let filler = String(repeating: "<p>Filler paragraph in a sidebar with a <a href=\"/x\">link</a>.</p>", count: 25_000)
        let html = "<html><head>\(script)</head><body><article>\(article)</article><aside>\(filler)</aside></body></html>"
        #expect(html.utf8.count > 50_000_000)
        let started = Date()
        let doc = try await offThePool { try Cleaner().clean(document: html) }
        #expect(doc.text == ArticleExtractionTests.paragraphs.joined(separator: "\n\n"))
        // Bounded, not benchmarked: a linear pass takes a few seconds even in a debug build.
        #expect(Date().timeIntervalSince(started) < 60)
    }

    @Test func invalidUTF8BecomesReplacementCharactersNotAFailure() throws {
        var bytes = Array("<html><body><p>Valid start of a sentence, ".utf8)
        bytes += [0xFF, 0xFE, 0xC3, 0x28, 0xE2, 0x82]  // invalid and truncated sequences
        bytes += Array(" and the end of the same sentence that follows.</p></body></html>".utf8)
        let doc = try bytes.withUnsafeBytes { try Cleaner().clean(htmlBytes: $0) }
        #expect(doc.text.hasPrefix("Valid start of a sentence,"))
        #expect(doc.text.hasSuffix("and the end of the same sentence that follows."))
        // Undeclared and invalid as UTF-8: read as Windows-1252, as browsers do.
        #expect(doc.text.contains("ÿþ") || doc.text.contains("\u{FFFD}"))
    }

    @Test func aPageThatIsAllScriptGivesNoTextAndNoError() throws {
        let html = "<html><head><script>" + String(repeating: "document.write('<p>fake</p>');", count: 10_000) + "</script></head><body><script>render()</script><noscript><p>Enable JavaScript</p></noscript></body></html>"
        let doc = try Cleaner().clean(document: html)
        #expect(doc.text.isEmpty)
    }

    @Test func classNamesOfDigitsOnlyAreNoWords() throws {
        // Found by fuzzing: "12-34" split into digit parts left an empty compound word, and the class
        // check read its first byte.
        #expect(ArticleExtractor.words("12-34 x_9") == ["12", "34", "x", "9", "x"])  // "x_9" compounds to its letters
        #expect(ArticleExtractor.Hint("c-article__body").content)
        #expect(ArticleExtractor.Hint("post-comments-area").category == "comments")
        #expect(ArticleExtractor.Hint("postcomments").category == "comments")  // inside a compound: six letters or more
        #expect(ArticleExtractor.Hint("header-ad").category == "advertising")
        #expect(ArticleExtractor.Hint("adjacent-story").category == nil)  // short words only whole
        #expect(ArticleExtractor.Hint("entry-commentary").category == nil)  // an article word
        #expect(ArticleExtractor.Hint("social-embed").category == nil)  // an embedded post
        #expect(ArticleExtractor.Hint("item image_hit no_caption").category == nil)  // says what it lacks
        #expect(ArticleExtractor.Hint("layout-without-sidebar").category == nil)
        #expect(ArticleExtractor.Hint("no-js sidebar").category == "aside")
        let html = "<html><body><div class=\"12-34\"><p>\(ArticleExtractionTests.paragraphs[0])</p></div></body></html>"
        #expect(try Cleaner().clean(document: html).text == ArticleExtractionTests.paragraphs[0])
    }

    @Test func emptyAndTagOnlyPagesGiveEmptyResults() throws {
        #expect(try Cleaner().clean(document: "<html></html>").text.isEmpty)
        #expect(try Cleaner().clean(document: "<div><div></div></div>").text.isEmpty)
        #expect(throws: (any Error).self) { try [UInt8]().withUnsafeBytes { try Cleaner().clean(htmlBytes: $0) } }
        // Markup that never ends: a lone "<" and an endless comment.
        #expect(try Cleaner().clean(document: "<p>Text before a broken tag <").text == "Text before a broken tag <")
        #expect(try Cleaner().clean(document: "<p>Visible words here.</p><!-- never closed <p>hidden").text == "Visible words here.")
    }
}
