import Foundation
import Testing
@testable import WinnowDedup

@Suite struct StableHashTests {
    /// Pinned values, computed by an independent Python implementation of the same algorithm. A change
    /// here changes every stored signature, and must come with a migration.
    @Test func hashIsPinnedAcrossMachinesAndReleases() {
        #expect(StableHash.hash("") == 0x9ca0_66f1_a4ab_2eea)
        #expect(StableHash.hash("winnow") == 0x2db3_07a0_6b31_a673)
        #expect(StableHash.hash("The quick brown fox jumps over the lazy dog") == 0x94b7_1122_721f_b2ba)
        #expect(StableHash.hash("winnow", seed: 1) == 0x94f9_c19c_1c8b_bfa8)
        #expect(StableHash.mix(1) == 0xb456_bcfc_34c2_cb2c)
    }
}

@Suite struct MatchingKeyTests {
    @Test func foldsCasePunctuationWidthAndLookalikes() {
        #expect(MatchingKey.key("The U.S. Defen\u{0441}e  Secretary, “Austin”!") == "the us defence secretary austin")
        #expect(MatchingKey.key("don’t") == MatchingKey.key("don't"))
        #expect(MatchingKey.key("ｆｕｌｌ\u{200B}width") == "fullwidth")
        #expect(MatchingKey.key("well-known") == "well known")
    }
}

@Suite struct WordHashTests {
    /// The byte-level fast path must give exactly the words of the matching key.
    @Test(arguments: [
        "The U.S. Defense Secretary, “Austin” — said: don’t panic… 42 times!",
        "well-known\u{00A0}non\u{200B}breaking\u{00AD}words\ttabbed\nlines",
        "ALL CAPS and MiXeD 3.5% values (parenthesized) [bracketed] {braced}",
        "",
        "   ",
    ])
    func fastPathEqualsMatchingKey(_ text: String) {
        let seed: UInt64 = 99
        let expected = MatchingKey.words(text).map { StableHash.hash($0.utf8, seed: seed) }
        #expect(WordHashes.of(text, seed: seed) == expected)
    }

    @Test func nonASCIITextTakesTheSlowPathAndStillFolds() {
        let seed: UInt64 = 5
        #expect(WordHashes.of("Defen\u{0441}e ｆｕｌｌ ÉCOLE", seed: seed) == WordHashes.of("defence full école", seed: seed))
        #expect(WordHashes.of("Москва 🎙️ news", seed: seed) == MatchingKey.words("Москва 🎙️ news").map { StableHash.hash($0.utf8, seed: seed) })
    }
}

@Suite struct ShingleTests {
    /// The rolling update must equal hashing each window from scratch.
    @Test func rollingHashEqualsDirectWindows() {
        let words: [UInt64] = (0..<40).map { StableHash.mix(UInt64($0) + 1) }
        let rolled = Shingles.hashes(wordHashes: words, size: 5, seed: 7)
        #expect(rolled.count == 36)
        for start in 0..<36 {
            let direct = Shingles.hashes(wordHashes: Array(words[start..<(start + 5)]), size: 5, seed: 7)
            #expect(direct == [rolled[start]])
        }
        #expect(Shingles.hashes(wordHashes: Array(words[0..<3]), size: 5, seed: 7).count == 1)
        #expect(Shingles.hashes(wordHashes: [], size: 5, seed: 7).isEmpty)
    }

    @Test func wordOrderMatters() {
        #expect(Shingles.hashes(of: "a b c d e", size: 5, seed: 1) != Shingles.hashes(of: "e d c b a", size: 5, seed: 1))
    }
}

@Suite struct MinHashTests {
    /// Random documents with known overlaps: the mean absolute error of the estimate against exact
    /// Jaccard, for both schemes on the same pairs.
    static func meanError(_ scheme: SignatureScheme) -> (mean: Double, max: Double) {
        var rng = SplitMix(seed: 42)
        let hasher = MinHasher(parameters: DedupParameters(scheme: scheme))
        var errors: [Double] = []
        for _ in 0..<200 {
            let base = (0..<400).map { _ in StableHash.mix(rng.next() % 5000) }
            var variant = base
            let edits = Int(rng.next() % 120)
            for _ in 0..<edits { variant[Int(rng.next() % 400)] = StableHash.mix(rng.next() % 5000) }
            let a = Set(Shingles.hashes(wordHashes: base, size: 5, seed: 3))
            let b = Set(Shingles.hashes(wordHashes: variant, size: 5, seed: 3))
            let exact = Double(a.intersection(b).count) / Double(a.union(b).count)
            let estimate = MinHasher.similarity(hasher.signature(shingles: Array(a)), hasher.signature(shingles: Array(b)))
            errors.append(abs(estimate - exact))
        }
        return (errors.reduce(0, +) / Double(errors.count), errors.max()!)
    }

    @Test func onePermutationIsNoLessAccurateThanClassic() {
        let classic = Self.meanError(.classic)
        let oph = Self.meanError(.onePermutation)
        // Standard error at J = 0.5 with 128 values is sqrt(0.25/128) = 0.044; the mean |error| is lower.
        #expect(classic.mean < 0.04, "classic \(classic)")
        #expect(oph.mean < 0.04, "oph \(oph)")
        #expect(oph.mean <= classic.mean * 1.1, "oph \(oph.mean) vs classic \(classic.mean)")
        #expect(oph.max < 0.2)
    }

    @Test func shortTextsAreDensifiedNotLeftEmpty() {
        let hasher = MinHasher(parameters: DedupParameters())
        let signature = hasher.signature(of: "just seven words in this short text")!
        #expect(signature.shingleCount == 3)
        #expect(!signature.values.contains(.max))
        #expect(hasher.signature(of: "just seven words in this short text") == signature)
    }

    @Test func identicalKeysHaveIdenticalSignatures() {
        let hasher = MinHasher(parameters: DedupParameters())
        let text = "one two three four five six seven eight nine ten"
        #expect(hasher.signature(of: text) == hasher.signature(of: "One, two; three four five six seven eight nine ten."))
        #expect(hasher.signature(of: "   ") == nil)
        #expect(hasher.signature(of: text)?.values.count == 128)
    }
}

@Suite struct LSHBandingTests {
    @Test(arguments: [0.5, 0.6, 0.7, 0.8, 0.9])
    func pairsAtTheThresholdAreFoundWithProbabilityAtLeast95Percent(_ threshold: Double) {
        let banding = LSHBanding.forThreshold(threshold, permutations: 128)
        #expect(banding.bands * banding.rows <= 128)
        #expect(banding.probability(similarity: threshold) >= 0.95)
        // And it is the tightest such banding: one more row per band would miss too many.
        let tighter = LSHBanding(bands: 128 / (banding.rows + 1), rows: banding.rows + 1)
        #expect(tighter.probability(similarity: threshold) < 0.95)
    }

    @Test func defaultBandingCoversThresholdAndContainmentFloor() {
        #expect(Deduplicator().banding == LSHBanding(bands: 32, rows: 4))
        #expect(Deduplicator().banding.probability(similarity: 0.8) > 0.999)
        #expect(Deduplicator(parameters: DedupParameters(containment: 0)).banding == LSHBanding(bands: 18, rows: 7))
    }

    @Test func bucketKeysAgreeWhereBandsAgree() {
        let banding = LSHBanding(bands: 4, rows: 2)
        let a: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]
        var b = a
        b[7] = 99
        let ka = banding.bucketKeys(a), kb = banding.bucketKeys(b)
        #expect(ka[0...2] == kb[0...2])
        #expect(ka[3] != kb[3])
        #expect(Set(ka).count == 4)  // equal rows in different bands still give different keys
    }
}

@Suite struct DeduplicatorTests {
    static func article(_ n: Int, words: Int = 400) -> String {
        var rng = SplitMix(seed: UInt64(n))
        return (0..<words).map { _ in "w\(rng.next() % 20_000)" }.joined(separator: " ")
    }

    @Test func truncatedCopyAndWrappedArticleAreContainmentMatches() throws {
        let dedup = Deduplicator()
        let text = Self.article(1)
        let words = text.split(separator: " ")
        let original = try #require(dedup.signature(of: text))
        let truncated = try #require(dedup.signature(of: words.prefix(words.count * 6 / 10).joined(separator: " ")))
        let wrapped = try #require(dedup.signature(of: Self.article(2, words: 120) + " " + text + " " + Self.article(3, words: 80)))

        let t = try #require(dedup.verify(truncated, against: original, id: 1))
        #expect(t.kind == .containment)
        #expect(t.containment > 0.9)
        let w = try #require(dedup.verify(wrapped, against: original, id: 1))
        #expect(w.kind == .containment)
        #expect(dedup.verify(try #require(dedup.signature(of: Self.article(4))), against: original, id: 1) == nil)
        // With containment off, the truncated copy is not a duplicate.
        let strict = Deduplicator(parameters: DedupParameters(containment: 0))
        #expect(strict.verify(try #require(strict.signature(of: words.prefix(words.count * 6 / 10).joined(separator: " "))),
                              against: try #require(strict.signature(of: text)), id: 1) == nil)
    }

    @Test func bestMatchPrefersResemblanceThenSimilarityThenOlder() {
        let dedup = Deduplicator()
        let base = Signature(values: [UInt64](repeating: 1, count: 128), shingleCount: 400)
        func variant(_ changed: Int, count: Int = 400) -> Signature {
            var v = base.values
            for i in 0..<changed { v[i] = 2 }
            return Signature(values: v, shingleCount: count)
        }
        let best = dedup.bestMatch(for: base, among: [(1, variant(10)), (2, variant(3)), (3, variant(64)), (4, variant(3))])
        #expect(best?.id == 2)
        #expect(best?.kind == .resemblance)
        #expect(dedup.bestMatch(for: base, among: [(3, variant(64))]) == nil)
    }

    @Test func textHashIgnoresPunctuationAndCase() {
        let dedup = Deduplicator()
        #expect(dedup.textHash("Hello, World!") == dedup.textHash("hello world"))
        #expect(dedup.textHash("Hello, World!") != dedup.textHash("hello there world"))
        #expect(dedup.textHash("x").count == 16)
    }

    @Test func inMemoryIndexFindsVariantsAndNotStrangers() throws {
        var index = LSHIndex(deduplicator: Deduplicator())
        for n in 0..<200 { index.insert(try #require(index.deduplicator.signature(of: Self.article(n)))) }
        var words = Self.article(17).split(separator: " ")
        for i in stride(from: 0, to: words.count, by: 40) { words[i] = "edited" }
        let matches = index.query(try #require(index.deduplicator.signature(of: words.joined(separator: " "))))
        #expect(matches.first?.id == 17)
        #expect(matches.count == 1)
        #expect(index.query(try #require(index.deduplicator.signature(of: Self.article(999)))).isEmpty)
    }
}

/// A fixed pseudo-random sequence, so the accuracy test sees the same documents on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return StableHash.mix(state)
    }
}
