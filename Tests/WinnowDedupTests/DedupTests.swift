import Foundation
import Testing
@testable import WinnowDedup
import WinnowTestSupport

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
        "Café déjà-vu, naïve Zürich: l'été à Paris — São Paulo, Łódź and Ærø",
        "Москва и Defen\u{0441}e, 東京 2026年, ｆｕｌｌ width, ﬁne ligature, e\u{0301}clair",
        "emoji 🎙️ voice, “smart” quotes… and\u{2028}line separators",
        "",
        "   ",
    ])
    func fastPathEqualsMatchingKey(_ text: String) {
        let seed: UInt64 = 99
        let expected = MatchingKey.words(text).map { StableHash.hash($0.utf8, seed: seed) }
        #expect(WordHashes.of(text, seed: seed) == expected)
    }

    /// Random text drawn from every kind of character the paths treat differently: the words must
    /// always be the matching key's.
    @Test func randomMixedTextAlwaysMatchesTheKey() {
        let pieces: [String] = ["a", "Z", "7", " ", "-", ".", "'", "é", "É", "ß", "ø", "Ł", "д", "Д", "с", "ё", "Σ", "ς", "ω", "א",
                                "ب", "東", "京", "\u{0301}", "\u{0308}", "’", "“", "—", "\u{00A0}", "\u{200B}", "\u{00AD}", "…",
                                "ﬁ", "ｆ", "½", "²", "🎙️", "\u{2028}", "\t", "\n", "İ", "ǅ", "µ",
                                "이", "다", "\u{11A8}", "\u{1100}", "が", "カ", "ー", "\u{3099}", "ヿ", "ゟ", "€", "№"]
        var rng = SplitMix.forTest(seed: 11)
        for _ in 0..<2000 {
            let text = (0..<Int(rng.next() % 30)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let expected = MatchingKey.words(text).map { StableHash.hash($0.utf8, seed: 1) }
            #expect(WordHashes.of(text, seed: 1) == expected, "\(text.unicodeScalars.map { String($0.value, radix: 16) }), \(rng)")
        }
    }

    /// Mostly ASCII, where whole words are hashed eight bytes at a time: words of every length around
    /// the chunk size, punctuation before, inside and after them, a non-ASCII byte right after one, and
    /// texts ending mid-word (the last chunk is read past the end).
    @Test func randomASCIITextAlwaysMatchesTheKey() {
        // Texts up to a few hundred bytes; control characters and DEL vanish like punctuation; a
        // 72-letter word spans nine 8-byte chunks, a URL holds punctuation inside.
        let pieces: [String] = ["a", "Z", "7", "abcdefg", "ABCDEFGH", "abcdefghi", "Wordsmithing", "0123456789abcdefX", " ", " ", "  ",
                                "-", ".", "'", ",", "\"", "(", ")", "\t", "\n", "\r", "\u{0B}", "\u{01}", "\u{7F}", "é", "’", "—",
                                "\u{00A0}", "д", String(repeating: "Long", count: 18), "https://example.com/a/b"]
        var rng = SplitMix.forTest(seed: 12)
        for _ in 0..<3000 {
            let text = (0..<Int(rng.next() % 60)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            let expected = MatchingKey.words(text).map { StableHash.hash($0.utf8, seed: 3) }
            #expect(WordHashes.of(text, seed: 3) == expected, "\(Array(text.utf8)), \(rng)")
        }
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
        #expect(Shingles.hashes(of: "a b c d e", size: 5, seed: 1, bounds: .none) != Shingles.hashes(of: "e d c b a", size: 5, seed: 1, bounds: .none))
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
        let dedup = Deduplicator()
        let signature = dedup.signature(of: "just seven words in this short text")!
        let shingles = 7 - dedup.parameters.shingleSize + 1
        #expect(signature.shingleCount == shingles)
        // Every bin holds a real value: a 32-bit minimum, never the empty marker.
        #expect(signature.values.allSatisfy { $0 <= 0xFFFF_FFFF })
        #expect(Set(signature.values).count <= shingles)
        #expect(dedup.signature(of: "just seven words in this short text") == signature)
    }

    @Test func identicalKeysHaveIdenticalSignatures() {
        let dedup = Deduplicator()
        let text = "one two three four five six seven eight nine ten"
        #expect(dedup.signature(of: text) == dedup.signature(of: "One, two; three four five six seven eight nine ten."))
        #expect(dedup.signature(of: "   ") == nil)
        #expect(dedup.signature(of: text)?.values.count == 128)
    }

    @Test func repeatedShinglesCountOnce() {
        let dedup = Deduplicator()
        #expect(dedup.fingerprint(of: "x x x x x x x x x")!.shingleSet.count == 1)
        #expect(dedup.fingerprint(of: "x x x x x x x x x")!.shingles.count == 9 - dedup.parameters.shingleSize + 1)  // in text order, repeats kept
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
        var rng = SplitMix(seed: UInt64(n) &+ 1000)
        return (0..<words).map { _ in "w\(rng.next() % 20_000)" }.joined(separator: " ")
    }

    func verify(_ dedup: Deduplicator, _ query: String, _ candidate: String, exact: Bool = true) throws -> Match? {
        let q = try #require(dedup.fingerprint(of: query)), c = try #require(dedup.fingerprint(of: candidate))
        return dedup.verify(q, against: c.signature, id: 1, shingles: { exact ? c.shingleSet : nil })
    }

    @Test func truncatedCopyAndWrappedArticleAreContainmentMatches() throws {
        let dedup = Deduplicator()
        let text = Self.article(1)
        let words = text.split(separator: " ")
        let truncated = words.prefix(words.count * 6 / 10).joined(separator: " ")
        let wrapped = Self.article(2, words: 120) + " " + text + " " + Self.article(3, words: 80)

        let t = try #require(try verify(dedup, truncated, text))
        #expect(t.kind == .containment)
        #expect(t.exact)
        #expect(t.containment == 1)
        let w = try #require(try verify(dedup, wrapped, text))
        #expect(w.kind == .containment)
        #expect(try verify(dedup, Self.article(4), text) == nil)
        // With containment off, the truncated copy is not a duplicate.
        #expect(try verify(Deduplicator(parameters: DedupParameters(containment: 0)), truncated, text) == nil)
    }

    @Test func exactVerificationDecidesWhereTheEstimateIsNoisy() throws {
        let dedup = Deduplicator()
        // Pairs whose exact similarity sits just below the threshold: the estimate is on either side
        // of it, the exact verdict never is.
        var rng = SplitMix(seed: 77)
        var estimatedAbove = 0
        for n in 0..<40 {
            let base = Self.article(100 + n).split(separator: " ").map(String.init)
            var edited = base
            // ~2.4% of words changed: exact Jaccard lands near 0.78-0.8.
            for _ in 0..<10 { edited[Int(rng.next() % UInt64(base.count))] = "x\(rng.next())" }
            let q = try #require(dedup.fingerprint(of: edited.joined(separator: " ")))
            let c = try #require(dedup.fingerprint(of: base.joined(separator: " ")))
            let exactJ = Double(Deduplicator.intersectionCount(q.shingleSet, c.shingleSet))
                / Double(q.shingleSet.count + c.shingleSet.count - Deduplicator.intersectionCount(q.shingleSet, c.shingleSet))
            let match = dedup.verify(q, against: c.signature, id: 1, shingles: { c.shingleSet })
            #expect((match != nil) == (exactJ >= 0.8 || (match?.kind == .containment)), "exact \(exactJ)")
            if let m = match, m.kind == .resemblance { #expect(abs(m.similarity - exactJ) < 1e-12) }
            if dedup.estimate(q.signature, c.signature).similarity >= 0.8 { estimatedAbove += 1 }
        }
        #expect(estimatedAbove > 0)  // the estimate alone would have let some of these through
    }

    /// The words with `changed` of them, spread through the text, replaced: a light edit.
    static func variant(of words: [String], changing changed: Int) -> String {
        var words = words
        for i in 0..<changed { words[i * 7 % words.count] = "v\(i)" }
        return words.joined(separator: " ")
    }

    @Test func bestMatchPrefersResemblanceThenSimilarityThenOlder() throws {
        let dedup = Deduplicator()
        let base = Self.article(5).split(separator: " ").map(String.init)
        func variant(_ changed: Int) -> String { Self.variant(of: base, changing: changed) }
        let query = try #require(dedup.fingerprint(of: base.joined(separator: " ")))
        let texts: [Int64: String] = [1: variant(8), 2: variant(2), 3: variant(60), 4: variant(2)]
        let candidates = texts.keys.sorted().map { id in (id: id, signature: dedup.signature(of: texts[id]!)!) }
        let best = dedup.bestMatch(for: query, among: candidates) { dedup.shingleSet(of: texts[$0]!) }
        #expect(best?.id == 2)
        #expect(best?.kind == .resemblance)
        #expect(dedup.bestMatch(for: query, among: [(3, dedup.signature(of: texts[3]!)!)]) { dedup.shingleSet(of: texts[$0]!) } == nil)
    }

    /// With the candidates' clusters given, one match a cluster is verified, the most similar by
    /// estimate first: a story's copies in two clusters cost two exact checks, not five.
    @Test func matchesVerifyOneCandidateACluster() throws {
        let dedup = Deduplicator()
        let base = Self.article(6).split(separator: " ").map(String.init)
        func variant(_ changed: Int) -> String { Self.variant(of: base, changing: changed) }
        let query = try #require(dedup.fingerprint(of: base.joined(separator: " ")))
        let texts: [Int64: String] = [1: variant(9), 2: variant(1), 3: variant(5), 4: variant(7), 5: variant(3)]
        let candidates = texts.keys.sorted().map { id in (id: id, signature: dedup.signature(of: texts[id]!)!) }
        let clusters: [Int64: Int64] = [1: 10, 2: 10, 3: 10, 4: 20, 5: 20]
        var read: [Int64] = []
        let grouped = dedup.matches(for: query, among: candidates, groups: { ids in clusters.filter { ids.contains($0.key) } }) { id in
            read.append(id)
            return dedup.shingleSet(of: texts[id]!)
        }
        #expect(read.count == 2 && Set(grouped.map { clusters[$0.id]! }) == [10, 20], "one exact check a cluster: \(read)")
        #expect(grouped.first?.id == 2, "the closest copy is checked first and reported")
        read = []
        let all = dedup.matches(for: query, among: candidates, groups: { _ in [:] }) { id in
            read.append(id)
            return dedup.shingleSet(of: texts[id]!)
        }
        #expect(read.count == 5 && all.count == 5 && all.first?.id == 2)
    }

    @Test func textHashIgnoresPunctuationAndCase() {
        let dedup = Deduplicator()
        #expect(dedup.textHash("Hello, World!") == dedup.textHash("hello world"))
        #expect(dedup.textHash("Hello, World!") != dedup.textHash("hello there world"))
        #expect(dedup.textHash("x").count == 16)
    }

    @Test func inMemoryIndexFindsVariantsAndNotStrangers() throws {
        let dedup = Deduplicator()
        var index = LSHIndex(deduplicator: dedup)
        let texts = (0..<200).map { Self.article($0) }
        for text in texts { index.insert(try #require(dedup.signature(of: text))) }
        var words = texts[17].split(separator: " ")
        for i in stride(from: 0, to: words.count, by: 80) { words[i] = "edited" }  // exact J ~0.88
        let matches = index.query(try #require(dedup.fingerprint(of: words.joined(separator: " ")))) { dedup.shingleSet(of: texts[$0]) }
        #expect(matches.map(\.id) == [17])
        #expect(matches.first?.exact == true)
        #expect(index.query(try #require(dedup.fingerprint(of: Self.article(999))))  { dedup.shingleSet(of: texts[$0]) }.isEmpty)
    }
}
