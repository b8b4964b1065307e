import Foundation
import Testing
@testable import WinnowDedup
import WinnowTestSupport

/// Shingles bounded by sentences and paragraphs: what moves a paragraph changes no shingle, what
/// only reformats the text changes none either.
@Suite struct SentenceUnitTests {
    static let seed = DedupParameters().seed

    static func units(_ text: String) -> [Int] {
        SentenceUnits.wordHashes(of: text, seed: seed).map(\.count)
    }

    static func shingles(_ text: String, _ bounds: ShingleBounds = .sentences) -> Set<UInt64> {
        Set(Shingles.hashes(of: text, size: DedupParameters().shingleSize, seed: seed, bounds: bounds))
    }

    static let paragraphs = [
        "The council voted on Tuesday to close the old harbour bridge to heavy traffic from next month.",
        "Engineers found cracks in two of the bridge's steel supports during an inspection in the spring.",
        "“We cannot take the risk,” the mayor said. Repairs are expected to take at least eighteen months.",
        "Lorries will be sent along the ring road instead, which adds about twenty minutes to the journey.",
        "Shop owners near the bridge said they feared losing customers while the works go on.",
    ]

    @Test func sentencesAndParagraphsBoundTheUnits() {
        #expect(Self.units("One two three four five six. Seven eight nine ten eleven twelve.") == [6, 6])
        #expect(Self.units("One two three four five six.\n\nSeven eight nine ten eleven twelve") == [6, 6])
        // Not a sentence end: a lowercase word after the stop, a decimal, a stop with no space.
        #expect(Self.units("About 3.5 m wide, e.g. the old one or the new one here today").count == 1)
        // A headline and a short sentence are units of their own (each one shingle of its words).
        #expect(Self.units("Bridge closes\nThe council voted on Tuesday to close it. It shut.") == [2, 8, 2])
        // Closing quotes after the stop, an opening quote or a capital of another script after it.
        #expect(Self.units("The mayor said “we will close it soon.” “Then what will we do?” asked a shop owner.") == [8, 9])
        #expect(Self.units("Первое предложение здесь уже написано. Второе предложение тоже написано здесь.") == [5, 5])
        // CJK full stops end a sentence with no space after them.
        #expect(Self.units("今日は晴れです。明日は雨です。").count == 2)
        // A text shorter than a shingle is one unit of all its words.
        #expect(Self.units("Too short.") == [2])
    }

    @Test func reorderedParagraphsKeepEveryShingle() {
        let text = Self.paragraphs.joined(separator: "\n\n")
        var random = SplitMix.forTest(seed: 42)
        for _ in 0..<20 {
            var moved = Self.paragraphs
            for i in moved.indices.reversed() { moved.swapAt(i, random.nextInt() % (i + 1)) }
            let copy = moved.joined(separator: "\n\n")
            #expect(Self.shingles(copy) == Self.shingles(text), "\(random)")
        }
        // Across paragraph breaks the old shingles change: this is what the bounds are for.
        let moved = Array(Self.paragraphs.reversed()).joined(separator: "\n\n")
        #expect(Self.shingles(moved, .none) != Self.shingles(text, .none))
    }

    @Test func flattenedAndHardWrappedCopiesKeepEveryShingle() {
        let text = Self.paragraphs.joined(separator: "\n\n")
        // The paragraph breaks lost (a feed summary, a page flattened to one block).
        #expect(Self.shingles(Self.paragraphs.joined(separator: " ")) == Self.shingles(text))
        // Hard-wrapped at 40 and at 60 columns: a line that ends mid-sentence goes on when the next starts in lowercase.
        func wrapped(_ width: Int) -> String {
            Self.paragraphs.map { paragraph in
                var lines: [String] = [], line = ""
                for word in paragraph.split(separator: " ") {
                    if !line.isEmpty && line.count + word.count + 1 > width { lines.append(line); line = "" }
                    line += (line.isEmpty ? "" : " ") + word
                }
                return (lines + [line]).joined(separator: "\n")
            }.joined(separator: "\n\n")
        }
        let forty = Self.shingles(wrapped(40)), sixty = Self.shingles(wrapped(60)), whole = Self.shingles(text)
        // Breaks before a capitalized word inside a sentence (a name) still cut: most shingles stay.
        #expect(Double(forty.intersection(whole).count) / Double(forty.union(whole).count) > 0.85)
        #expect(Double(sixty.intersection(whole).count) / Double(sixty.union(whole).count) > 0.85)
    }

    @Test func boundsAreAParameterOfTheSignature() {
        let sentences = Deduplicator(parameters: DedupParameters())
        let none = Deduplicator(parameters: DedupParameters(shingleSize: 5, bounds: .none))
        #expect(sentences.fingerprint.hasSuffix(" bounds=sentences"))
        // A store made before bounds existed recorded this fingerprint: it is the `none` one, unchanged.
        #expect(none.fingerprint == "scheme=oph shingles=5 permutations=128 seed=\(Self.seed) bands=\(none.banding.bands)x\(none.banding.rows)")
        // Within one sentence both give the same shingles.
        let sentence = "The council voted on Tuesday to close the old harbour bridge to heavy traffic"
        #expect(Self.shingles(sentence) == Self.shingles(sentence, .none))
    }
}
