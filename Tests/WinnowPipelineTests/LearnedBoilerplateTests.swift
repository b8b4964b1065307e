import Foundation
import Logging
import Testing
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowStore
@testable import WinnowPipeline

/// Boilerplate learned per site, kept in the database, and the page metadata that fills what feeds leave out.
@Suite struct LearnedBoilerplateTests {
    static let signOff = "Follow our live coverage on the Example News app and on Telegram."

    func story(_ n: Int) -> String {
        "Story \(n): the regional council approved budget line number \(n) after a long debate on Tuesday evening, members said.\n"
            + "Officials expect the work funded by line \(n) to begin within \(n + 2) months, pending a final review by auditors."
    }

    func runner(_ store: ArticleStore) throws -> StageRunner {
        StageRunner(store: store, defaultCleaner: try Cleaner(), deduplicator: Deduplicator(parameters: DedupParameters()),
                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func add(_ store: ArticleStore, _ n: Int, host: String = "news.example", text: String? = nil) throws -> RawItem {
        try store.addLocalItem(FeedItem(guid: "\(host)-\(n)", link: "https://www.\(host)/story/\(n)", content: text ?? story(n) + "\n" + Self.signOff))
    }

    @Test func aLineRecurringOnOneSiteIsLearnedAndSurvivesARestart() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-learn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("winnow.sqlite").path
        var store = try ArticleStore.open(path: path)
        var stages = try runner(store)

        // The first five articles are how the line is learned: they keep it.
        var firstFive: [RawItem] = []
        for n in 1...5 {
            firstFive.append(try add(store, n))
            let (_, document) = try stages.clean(firstFive.last!)
            #expect(document.text.contains(Self.signOff))
        }
        // From the sixth on it is the site's boilerplate, recorded with its rule and source.
        let (_, sixth) = try stages.clean(try add(store, 6))
        #expect(!sixth.text.contains(Self.signOff))
        #expect(sixth.text.contains("budget line number 6"))
        #expect(sixth.removed.contains { $0.ruleID == LearnedBoilerplate.ruleID && $0.text == Self.signOff && $0.category == "learned:news.example" })

        // Another site has not learned it.
        let (_, elsewhere) = try stages.clean(try add(store, 7, host: "other.example"))
        #expect(elsewhere.text.contains(Self.signOff))

        // A restart keeps what was learned: it lives in the database.
        store = try ArticleStore.open(path: path)
        stages = try runner(store)
        let (_, afterRestart) = try stages.clean(try add(store, 8))
        #expect(!afterRestart.text.contains(Self.signOff))

        // Reprocessing applies what was learned to the first five too, and counts nothing again.
        let counted = try #require(try store.learnedLines(minCount: 1)["news.example"])
        try store.resetStages(includingClean: true)
        let again = stages.reprocessing()
        for raw in firstFive {
            let (_, document) = try again.clean(raw)
            #expect(!document.text.contains(Self.signOff) && document.text.contains("budget line"))
        }
        #expect(try store.learnedLines(minCount: 1)["news.example"] == counted)
        #expect(try store.learnedLines(minCount: 8)["news.example"] == nil)  // seen in articles 1-6 and 8: seven
    }

    @Test func learnedLinesNeverTakeMostOfAnArticle() throws {
        let store = try ArticleStore.open(path: FileManager.default.temporaryDirectory.appendingPathComponent("winnow-learn-\(UUID().uuidString).sqlite").path)
        let stages = try runner(store)
        let standing = ["Markets open at nine.", "Weather: dry and mild.", "Traffic: no delays reported."]
        for n in 1...6 { _ = try stages.clean(try add(store, n, text: story(n) + "\n" + standing.joined(separator: "\n"))) }
        // A brief made only of the standing lines plus one short sentence keeps them all.
        let (_, brief) = try stages.clean(try add(store, 7, text: (standing + ["Council meets at noon."]).joined(separator: "\n")))
        #expect(standing.allSatisfy { brief.text.contains($0) })
        // A full story loses them.
        let (_, withStanding) = try stages.clean(try add(store, 9, text: story(9) + "\n" + standing.joined(separator: "\n")))
        #expect(standing.allSatisfy { !withStanding.text.contains($0) })
        #expect(withStanding.text.contains("budget line number 9"))
    }

    @Test func longParagraphsAreNeverLearned() throws {
        let learning = LearnedBoilerplate(minCount: 2, maxLineLength: 40)
        let document = CleanedDocument(title: nil, author: nil, text: "A short line.\n\n" + String(repeating: "long words ", count: 10), removed: [])
        #expect(learning.lines(of: document) == ["A short line."])
        #expect(LearnedBoilerplate(minCount: 0).lines(of: document).isEmpty)
    }

    @Test func thePagesOwnDateAndCanonicalURLFillWhatTheFeedLeftOut() throws {
        let store = try ArticleStore.open(path: FileManager.default.temporaryDirectory.appendingPathComponent("winnow-meta-\(UUID().uuidString).sqlite").path)
        let stages = try runner(store)
        let page = """
            <html><head><link rel="canonical" href="https://news.example/story/canonical">
            <script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2026-11-20T08:30:00Z"}</script></head>
            <body><article><p>\(story(1).replacingOccurrences(of: "\n", with: "</p><p>"))</p></article></body></html>
            """
        let raw = try store.addLocalItem(FeedItem(guid: "page-1", link: nil, content: page))
        let (id, document) = try stages.clean(raw)
        #expect(document.published == "2026-11-20T08:30:00Z")
        let article = try #require(try store.cleanArticle(id: id))
        #expect(article.publishedAt == 1_795_163_400)  // 2026-11-20T08:30:00Z
        #expect(article.url == "https://news.example/story/canonical")

        // The feed's own date wins.
        let dated = try store.addLocalItem(FeedItem(guid: "page-2", link: "https://news.example/story/2", published: Date(timeIntervalSince1970: 1_000), content: page))
        let (datedID, _) = try stages.clean(dated)
        let second = try #require(try store.cleanArticle(id: datedID))
        #expect(second.publishedAt == 1_000)
        #expect(second.url == "https://news.example/story/2")
    }
}
