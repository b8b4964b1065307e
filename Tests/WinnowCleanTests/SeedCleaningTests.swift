import Foundation
import Testing
@testable import WinnowClean
import WinnowTestSupport

/// The five real scraped articles in ../shared/seeds are what the product was asked for:
/// their boilerplate must go, every article sentence must stay.
@Suite struct SeedCleaningTests {
    func clean(_ prefix: String) throws -> (CleanedDocument, String) {
        let seeds = try TestPaths.seeds()
        let seed = try #require(seeds.first { $0.lastPathComponent.hasPrefix(prefix) }, "seed \(prefix) missing from \(TestPaths.shared.path)/seeds")
        let text = try String(contentsOf: seed, encoding: .utf8)
        return (try Cleaner().clean(document: text), text)
    }

    func rule(_ doc: CleanedDocument, removed fragment: String) -> String? {
        doc.removed.first { $0.text.contains(fragment) }?.ruleID
    }

    @Test func cartAndSubscriptionPromptsGo() throws {
        let (doc, _) = try clean("002")
        #expect(rule(doc, removed: "Your cart is currently empty") == "commerce.cart-empty")
        #expect(rule(doc, removed: "Subscribe to Truthlytics") == "subscription.subscribe-prompt")
        #expect(rule(doc, removed: "Already subscribed? Log in") == "subscription.already-subscribed")
        #expect(rule(doc, removed: "Share Your Perspective") == "share.prompt")
        #expect(doc.title == "China Rejects US Defense Talks Over Taiwan Arms Sales")
        #expect(!doc.text.contains("cart"))
        #expect(!doc.text.contains("Subscribe"))
        // Mid-article paragraphs that lack a full stop are article text, not teasers.
        #expect(doc.text.contains("a direct threat to its territorial claims"))
        #expect(doc.text.contains("enduring mistrust and strategic competition"))
    }

    @Test func aiVoiceDisclaimerBioCaptionAndReadMoreGo() throws {
        let (doc, _) = try clean("003")
        #expect(rule(doc, removed: "Voice is AI-generated") == "ai-voice.generated")
        #expect(rule(doc, removed: "About the writer") == "bio.about-heading")
        #expect(rule(doc, removed: "BRENDAN SMIALOWSKI/Getty Images") == "caption.credit")
        #expect(rule(doc, removed: "Biden and Xi in San Francisco") == "caption.heading")
        #expect(!doc.text.contains("Aadil Brar is a reporter"))
        #expect(!doc.text.contains("Read more"))
        #expect(doc.title == "US and China Defense Officials Are Talking Again")
        #expect(doc.text.hasSuffix("closer to the Communist Party decision-making circle."))
    }

    @Test func sectionLabelAndPhotoCaptionGoAndTitleBecomesMetadata() throws {
        let (doc, _) = try clean("001")
        #expect(doc.removed.first { $0.text == "Defense" }?.ruleID == "section.label")
        #expect(rule(doc, removed: "In this photo proved by the Defense Department") == "caption.photo-description")
        #expect(doc.title == "China tells US it will never compromise on Taiwan as defense talks resume")
        #expect(!doc.text.contains("China tells US it will never compromise"))
        #expect(doc.text.hasPrefix("China told the U.S. that it will"))
    }

    @Test func trailingTeasersGoButTheArticleEndingStays() throws {
        let (doc, _) = try clean("000")
        for kicker in ["WAITING GAME:", "NEW GEAR:", "Taiwanese exports to the US", "FLOOD RECOVERY:"] {
            #expect(rule(doc, removed: kicker) == StructuralRule.trailingTeasers, "\(kicker)")
        }
        #expect(doc.text.hasSuffix("likely announcing yet another large increase in defense spending."))
        #expect(doc.title == nil)  // it opens with a sentence, not a headline
    }

    @Test func bylineBecomesAuthorAndHomoglyphIsFolded() throws {
        let (doc, raw) = try clean("004")
        #expect(doc.author == "Tamilla Hasanova")
        #expect(rule(doc, removed: "By Tamilla Hasanova") == "byline.by-line")
        #expect(doc.title == "US-China defence relations strain further after Taiwan missile deal")
        #expect(raw.contains("Defen\u{0441}e"))  // the seed really has a Cyrillic "с"
        #expect(!doc.text.contains("\u{0441}"))
        #expect(doc.text.contains("ASEAN Defence Ministers"))
    }

    /// Every sentence of the article bodies stays: each kept paragraph of the input that no rule
    /// removed appears in the output unchanged (after normalization).
    @Test(arguments: ["000", "001", "002", "003", "004"])
    func nothingButBoilerplateIsRemoved(_ prefix: String) throws {
        let (doc, raw) = try clean(prefix)
        let removed = Set(doc.removed.map(\.text))
        for line in raw.split(whereSeparator: \.isNewline).map({ TextNormalizer.normalizeParagraph(String($0)) }) where !line.isEmpty {
            let accounted = removed.contains(line) || line == doc.title || doc.text.contains(line)
            #expect(accounted, "lost without a rule: \(line.prefix(80))")
        }
    }
}

@Suite struct CleanerUnitTests {
    @Test func htmlBecomesParagraphsWithEntitiesDecodedAndScriptsGone() throws {
        let html = """
            <html><head><title>Page &amp; Title</title><script>var x = "<p>not text</p>";</script></head>
            <body><nav>Home | World | Sport</nav><p>First paragraph &mdash; with an entity&#33;</p>
            <div>Second<br>line</div><figure><figcaption>A caption (Photo: AP)</figcaption></figure>
            <footer>© 2026 Example</footer></body></html>
            """
        let doc = try Cleaner().clean(document: html)
        #expect(doc.text == "First paragraph — with an entity!\n\nSecond\n\nline")
        #expect(doc.title == "Page & Title")
        #expect(doc.removed.contains { $0.ruleID == "html.element.nav" && $0.text == "Home | World | Sport" && $0.category == "navigation" })
        #expect(doc.removed.contains { $0.ruleID == "html.element.figure" && $0.category == "caption" && $0.text == "A caption (Photo: AP)" })
        #expect(doc.removed.contains { $0.ruleID == "html.element.footer" })
    }

    @Test func normalizationRemovesInvisibleCharactersAndComposes() {
        #expect(TextNormalizer.normalizeParagraph("e\u{0301}t\u{00E9}  zero\u{200B}width\u{00AD}  ") == "\u{00E9}t\u{00E9} zerowidth")
        // Control characters are never text (found by fuzzing: a BEL came through to the stored article).
        #expect(TextNormalizer.normalizeParagraph("a\u{07}b\u{00}c\u{7F}d\u{85}e\u{9B}f\tg") == "abcd ef g")  // NEL is a line break: a space
        #expect(TextNormalizer.normalizeParagraph("caf\u{E9}\u{07}") == "caf\u{E9}")
        // Whole words in another script are left alone; only mixed words fold.
        #expect(Confusables.foldMixedScriptWords("Москва and Defenсe") == "Москва and Defence")
        #expect(Confusables.foldMixedScriptWords("Мocква") == "Москва")
    }

    @Test func customRulesAddRemovalsAndBadPatternsAreRefusedById() throws {
        let custom = BoilerplateRule(id: "site.promo", category: "promo", pattern: "^Download our app")
        let doc = try Cleaner(rules: BoilerplateRule.defaults + [custom])
            .clean(paragraphs: ["A real sentence about the news today.", "Download our app for more."])
        #expect(doc.removed.map(\.ruleID) == ["site.promo"])
        #expect(doc.text == "A real sentence about the news today.")
        #expect(throws: RuleError.self) { try Cleaner(rules: [BoilerplateRule(id: "bad", category: "x", pattern: "(unclosed")]) }
    }

    @Test func rulesAreTriedOnlyWithinTheirLengthAndWithTheirKeywords() throws {
        let rules = [BoilerplateRule(id: "t.short", category: "t", pattern: "(?i)promo", maxLength: 30),
                     BoilerplateRule(id: "t.keyword", category: "t", pattern: "(?i)offer", keywords: ["special offer"])]
        let cleaner = try Cleaner(rules: rules)
        let long = "A long paragraph that mentions a promo code in passing, as part of a real sentence of news."
        let doc = cleaner.clean(paragraphs: ["Intro sentence of the article, long enough to stay.", "Promo inside", long,
                                             "Our special OFFER today", "An offer mentioned without the phrase the rule names."])
        #expect(doc.removed.map(\.ruleID) == ["t.short", "t.keyword"])
        #expect(doc.text.contains(long) && doc.text.contains("An offer mentioned"))
    }

    @Test func aTeaserLabelTakesTheShortRunAfterItOnlyAtTheEnd() throws {
        let body = (1...6).map { "Paragraph \($0) of the article, which runs long enough to be the article's own text and not a teaser line." }
        let teasers = ["Ferry timetable changes this winter", "New library opens in the east", "Night buses return to the centre"]
        let doc = try Cleaner().clean(paragraphs: body + ["More from the city desk"] + teasers)
        #expect(doc.text == body.joined(separator: "\n\n"))
        #expect(doc.removed.filter { $0.ruleID == "related.label" }.count == 4)
        // At the top, before most of the text, the same label takes only itself.
        let top = try Cleaner().clean(paragraphs: [body[0], "Related stories"] + body.dropFirst())
        #expect(top.text == body.joined(separator: "\n\n"))
    }

    @Test func aParagraphPrintedTwiceIsKeptOnce() throws {
        let quote = "The minister said the plan would be ready before the end of the year, and not a day later."
        let doc = try Cleaner().clean(paragraphs: [quote, "Other text follows here.", quote])
        #expect(doc.text == "\(quote)\n\nOther text follows here.")
        #expect(doc.removed.map(\.ruleID) == [StructuralRule.repeatedParagraph])
    }

    @Test func shortOrManyTimesRepeatedLinesAreTheArticlesOwn() throws {
        // Interview questions asked of each guest, table cells: the article's structure, not boilerplate.
        let question = "What inspired you to start cooking for other people at home?"
        let intro = "We asked three home cooks the same questions about how they began."
        let doc = try Cleaner().clean(paragraphs: [intro, question, "Anna: my grandmother.", question, "Ben: a friend.", question, "Cleo: boredom.", "Yes", "Yes"])
        #expect(doc.removed.isEmpty)
        #expect(doc.text.components(separatedBy: question).count == 4)
    }

    @Test func shortUnfinishedLinesAtTheEndAreNotTeasers() throws {
        let doc = try Cleaner().clean(paragraphs: ["The council met on Monday to vote.", "Members present", "Minutes to follow"])
        #expect(doc.removed.isEmpty)
    }

    @Test func aLoneUnfinishedLastParagraphIsNotATeaser() throws {
        let doc = try Cleaner().clean(paragraphs: ["The council met on Monday.", "It will meet again next week without a full stop"])
        #expect(doc.removed.isEmpty)
    }
}
