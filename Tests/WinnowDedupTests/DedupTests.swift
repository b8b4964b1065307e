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

@Suite struct MinHashTests {
    /// Random word documents with a known overlap: the estimate tracks exact Jaccard within the error
    /// classic MinHash has at 128 permutations (standard error sqrt(J(1-J)/128) ≈ 0.035 at J = 0.5).
    @Test func estimateTracksExactJaccard() {
        var rng = SplitMix(seed: 42)
        let vocabulary = (0..<5000).map { "w\($0)" }
        let hasher = MinHasher(parameters: DedupParameters())
        var errors: [Double] = []
        for _ in 0..<60 {
            let base = (0..<400).map { _ in vocabulary[Int(rng.next() % 5000)] }
            var variant = base
            let edits = Int(rng.next() % 120)
            for _ in 0..<edits { variant[Int(rng.next() % 400)] = vocabulary[Int(rng.next() % 5000)] }
            let a = Set(Shingles.hashes(words: base.map { Substring($0) }, size: 5, seed: hasher.parameters.seed))
            let b = Set(Shingles.hashes(words: variant.map { Substring($0) }, size: 5, seed: hasher.parameters.seed))
            let exact = Double(a.intersection(b).count) / Double(a.union(b).count)
            let estimate = MinHasher.similarity(hasher.signature(shingles: Array(a)), hasher.signature(shingles: Array(b)))
            errors.append(abs(estimate - exact))
        }
        let mean = errors.reduce(0, +) / Double(errors.count)
        #expect(mean < 0.04, "mean absolute error \(mean)")
        #expect(errors.max()! < 0.15)
    }

    @Test func identicalTextsHaveIdenticalSignatures() {
        let hasher = MinHasher(parameters: DedupParameters())
        let text = "one two three four five six seven eight nine ten"
        #expect(hasher.signature(of: text) == hasher.signature(of: "One, two; three four five six seven eight nine ten."))
        #expect(hasher.signature(of: "   ") == nil)
        #expect(hasher.signature(of: text)?.count == 128)
    }
}

@Suite struct LSHBandingTests {
    @Test(arguments: [0.5, 0.7, 0.8, 0.9])
    func pairsAtTheThresholdAreFoundWithProbabilityAtLeast95Percent(_ threshold: Double) {
        let banding = LSHBanding.forThreshold(threshold, permutations: 128)
        #expect(banding.bands * banding.rows <= 128)
        #expect(banding.probability(similarity: threshold) >= 0.95)
        // And it is the tightest such banding: one more row per band would miss too many.
        let tighter = LSHBanding(bands: 128 / (banding.rows + 1), rows: banding.rows + 1)
        #expect(tighter.probability(similarity: threshold) < 0.95)
    }

    @Test func defaultBandingIs18By7() {
        let banding = LSHBanding.forThreshold(0.8, permutations: 128)
        #expect(banding == LSHBanding(bands: 18, rows: 7))
        #expect(banding.probability(similarity: 0.5) < 0.2)
    }

    @Test func bucketKeysAgreeWhereBandsAgree() {
        let banding = LSHBanding(bands: 4, rows: 2)
        let a: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]
        var b = a
        b[7] = 99
        let ka = banding.bucketKeys(a), kb = banding.bucketKeys(b)
        #expect(ka[0...2] == kb[0...2])
        #expect(ka[3] != kb[3])
    }
}

@Suite struct DeduplicatorTests {
    @Test func bestMatchIsTheMostSimilarAboveThreshold() {
        let dedup = Deduplicator()
        let sig = [UInt64](repeating: 1, count: 128)
        var close = sig; for i in 0..<10 { close[i] = 2 }       // 118/128 = 0.92
        var closer = sig; for i in 0..<3 { closer[i] = 2 }      // 0.977
        var far = sig; for i in 0..<64 { far[i] = 2 }          // 0.5
        let best = dedup.bestMatch(for: sig, among: [(1, close), (2, closer), (3, far)])
        #expect(best?.id == 2)
        #expect(dedup.bestMatch(for: sig, among: [(3, far)]) == nil)
    }

    @Test func textHashIgnoresPunctuationAndCase() {
        let dedup = Deduplicator()
        #expect(dedup.textHash("Hello, World!") == dedup.textHash("hello world"))
        #expect(dedup.textHash("Hello, World!") != dedup.textHash("hello there world"))
        #expect(dedup.textHash("x").count == 16)
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
