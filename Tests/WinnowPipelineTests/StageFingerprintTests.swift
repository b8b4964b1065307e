import Foundation
import Logging
import Testing
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowStore
@testable import WinnowPipeline

/// Stage 2 makes each article's fingerprint on the cleaning threads and hands it to stage 3; stage 3
/// must only ever take one made of exactly the text it deduplicates.
@Suite struct StageFingerprintTests {
    let deduplicator = Deduplicator(parameters: DedupParameters())

    func article(_ id: Int64, _ text: String) -> CleanArticle {
        CleanArticle(id: id, rawItemID: id, feedID: 1, guid: "g\(id)", url: nil, title: nil, author: nil, publishedAt: nil,
                     text: text, textHash: deduplicator.textHash(text))
    }

    @Test func aKeptFingerprintIsTakenOnceAndOnlyForItsOwnText() {
        let ahead = CleaningAhead()
        let text = "The council approved the budget after a long debate on Tuesday evening, members of the council said."
        let other = "A different article reusing the id after a reset: the fire brigade was called to the harbour at dawn."
        ahead.remember([(cleanID: 7, text: text, fingerprint: deduplicator.articleFingerprint(of: text))])
        // Same id, other text (ids can be reused after a reset): not taken.
        #expect(ahead.fingerprints(of: [article(7, other)]).first! == nil)
        ahead.remember([(cleanID: 7, text: text, fingerprint: deduplicator.articleFingerprint(of: text))])
        let taken = ahead.fingerprints(of: [article(7, text), article(8, text)])
        #expect(taken[0]?.keys == deduplicator.articleFingerprint(of: text).keys)
        #expect(taken[0]?.keys.isEmpty == false)
        #expect(taken[1] == nil)  // never kept
        #expect(ahead.fingerprints(of: [article(7, text)]).first! == nil)  // taken out
    }

    /// Kept fingerprints travel without their shingles; a near-duplicate found through one is still
    /// checked exactly (its shingles made again from its text), so its similarity is the exact one.
    @Test func aNearDuplicateFoundThroughAKeptFingerprintIsCheckedExactly() throws {
        let store = try ArticleStore.inMemory()
        let stages = StageRunner(store: store, defaultCleaner: try Cleaner(), deduplicator: deduplicator,
                                 logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let original = (1...12).map { "Sentence \($0) of the harbour report names the pier, the tide and the crane number \($0 * 7)." }
        var edited = original
        edited[5] = "Sentence six was rewritten by the aggregator that copied the report this morning."
        for (n, text) in [original, edited].enumerated() {
            _ = try store.addLocalItem(FeedItem(guid: "h\(n)", link: "https://news.example/h/\(n)", content: text.joined(separator: "\n\n")))
        }
        var results: [DedupResult] = []
        while true {
            let step = try stages.drainStep()
            if step.isEmpty { break }
            results += step.stored.map(\.result)
        }
        try #require(results.count == 2)
        let copy = results[1]
        #expect(copy.status == .duplicate, "\(results)")
        let exact = Deduplicator.compare(deduplicator.shingleSet(of: original.joined(separator: "\n\n")),
                                         deduplicator.shingleSet(of: edited.joined(separator: "\n\n"))).similarity
        #expect(abs((copy.similarity ?? 0) - exact) < 1e-9, "similarity \(copy.similarity ?? -1), exact \(exact)")
    }

    /// An article a learned line was taken out of is saved with other text than the one cleaning
    /// fingerprinted: stage 3 must make its fingerprint again rather than take the stale one.
    @Test func anArticleChangedByALearnedLineIsNotHandedOn() throws {
        let store = try ArticleStore.inMemory()
        let stages = StageRunner(store: store, defaultCleaner: try Cleaner(), deduplicator: deduplicator,
                                 learning: LearnedBoilerplate(minCount: 2),
                                 logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let signOff = "Follow our live coverage on the Example News app and on Telegram."
        func story(_ n: Int) -> String {
            "Story \(n): the regional council approved budget line number \(n) after a long debate on Tuesday evening.\n\n"
                + "Officials expect the work funded by line \(n) to begin within \(n + 2) months, pending a review.\n\n" + signOff
        }
        var cleaned: [StageRunner.Cleaned] = []
        for n in 1...3 {
            let raw = try store.addLocalItem(FeedItem(guid: "s\(n)", link: "https://news.example/story/\(n)", content: story(n)))
            cleaned += try stages.clean([raw])
        }
        let articles = cleaned.map { article($0.cleanID, $0.document.text) }
        let taken = stages.ahead.fingerprints(of: articles)
        // The first two taught the line and kept it; the third lost it when saved.
        #expect(articles[2].text.contains(signOff) == false)
        #expect(taken[0] != nil && taken[1] != nil)
        #expect(taken[2] == nil)
    }
}
