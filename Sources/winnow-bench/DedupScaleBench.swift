import ArgumentParser
import Foundation
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowStore

/// `winnow-bench dedup-scale --articles N`: fills a store with N indexed articles, then measures the
/// per-article dedup latency (query + insert + commit, one article a transaction, as the daemon's
/// worst case) and this process's resident memory.
struct DedupScaleBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dedup-scale", abstract: "Dedup latency and memory with N articles indexed.")

    @Option(name: .long, help: "Articles to index before measuring.")
    var articles = 1_000_000

    @Option(name: .long, help: "The database to fill (kept, so a second run measures without refilling).")
    var db: String

    @Option(name: .long, help: "Articles measured after the fill.")
    var probes = 2_000

    func run() throws {
        let dedup = Deduplicator()
        let store = try ArticleStore.open(path: db)
        try store.checkDedupParameters(dedup)
        let feed = try store.register(feeds: [FeedRegistration(name: "scale", url: "https://scale.invalid/")])[0]
        var have = try store.counts().articles
        // A fill that goes on from an earlier run goes on with new articles: restarting the numbering
        // would regenerate the indexed ones, exact duplicates that add nothing to the index.
        var generator = TextGenerator(seed: 1)
        generator.articleCount = UInt64(have)
        let fillStart = DispatchTime.now()
        var lastReport = DispatchTime.now()
        while have < articles {
            let count = min(5_000, articles - have)
            let items = (0..<count).map { i in FeedItem(guid: "a-\(have + i)", content: generator.article()) }
            try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 0, durationMS: 0, httpStatus: 200, bytes: 0, nextFetchAt: 0, items: items))
            let raw = try store.pendingClean(limit: count)
            _ = try store.saveClean(raw.map { r in
                let text = r.item.content ?? ""
                return (r.id, CleanedDocument(title: nil, author: nil, text: text, removed: []), dedup.textHash(text))
            })
            while true {
                let batch = try store.pendingDedup(limit: 5_000)
                if batch.isEmpty { break }
                _ = try DedupStage(deduplicator: dedup).run(batch, in: store)
            }
            have += count
            if seconds(since: lastReport) > 10 {
                lastReport = DispatchTime.now()
                let elapsed = seconds(since: fillStart)
                FileHandle.standardError.write(Data("filled \(have)/\(articles) (\(format(Double(have) / elapsed)) articles/s)\n".utf8))
            }
        }
        print("indexed articles: \(try store.counts().articles), bucket rows: \(try store.bucketRowCount())")

        // The first lookup of a process reads every stored key (lsh_buckets and the runs) into the
        // writer's filters (as winnowd's first stage-3 batch does); it is reported apart from the probes.
        let warmStart = DispatchTime.now()
        if let first = try store.cleanArticle(id: 1) { _ = try DedupStage(deduplicator: dedup).match(first, in: store) }
        print("first lookup (builds the filters of the stored keys): \(format(seconds(since: warmStart), 2)) s")

        // Probes: half new articles (from a seed the fill never uses), half edited copies of indexed
        // ones, one transaction each.
        var latencies: [Double] = [], queries: [Double] = []
        var found = 0, falseMatches = 0
        var fresh = TextGenerator(seed: 2 &+ UInt64(have))
        for p in 0..<probes {
            let text = p % 2 == 0 ? fresh.article() : generator.edited(copyOf: Int.random(in: 0..<articles))
            try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 0, durationMS: 0, httpStatus: 200, bytes: 0, nextFetchAt: 0,
                                                                   items: [FeedItem(guid: "probe-\(UUID().uuidString)", content: text)]))
            let raw = try store.pendingClean(limit: 1)
            _ = try store.saveClean(raw.map { ($0.id, CleanedDocument(title: nil, author: nil, text: text, removed: []), dedup.textHash(text)) })
            let article = try store.pendingDedup(limit: 1)[0]
            let queryStart = DispatchTime.now()
            _ = try DedupStage(deduplicator: dedup).match(article, in: store)
            queries.append(seconds(since: queryStart) * 1000)
            let start = DispatchTime.now()
            let result = try DedupStage(deduplicator: dedup).run([article], in: store)[0]
            latencies.append(seconds(since: start) * 1000)
            if result.status != .new { if p % 2 == 0 { falseMatches += 1 } else { found += 1 } }
        }
        latencies.sort()
        queries.sort()
        func percentile(_ values: [Double], _ q: Double) -> Double { values[min(values.count - 1, Int(Double(values.count) * q))] }
        let memory = memoryMB()
        print("query (signature + exact check + LSH lookup + verify, read-only), \(probes) probes:")
        print("  p50 \(format(percentile(queries, 0.5), 2)) ms, p99 \(format(percentile(queries, 0.99), 2)) ms, max \(format(queries.last ?? 0, 2)) ms")
        print("per-article dedup (the same + insert article, signature, buckets + commit, one transaction each):")
        print("  p50 \(format(percentile(latencies, 0.5), 2)) ms, p99 \(format(percentile(latencies, 0.99), 2)) ms, max \(format(latencies.last ?? 0, 2)) ms")
        print("  \(found) of \(probes / 2) edited copies found (3 words changed; in the shortest texts that leaves the similarity below 0.8), \(falseMatches) of \(probes / 2) new articles called duplicates")
        print("  resident memory: \(format(memory.current)) MB now, \(format(memory.peak)) MB peak")
    }
}

/// Deterministic synthetic articles: words drawn from a Zipf-like vocabulary, 120-400 words each.
/// `edited(copyOf:)` regenerates article n and changes a few words.
struct TextGenerator {
    var state: UInt64
    let seed: UInt64
    init(seed: UInt64) { state = seed; self.seed = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return StableHash.mix(state)
    }

    static func words(seed: UInt64) -> [String] {
        var g = TextGenerator(seed: seed)
        let count = 120 + Int(g.next() % 280)
        return (0..<count).map { _ in
            // Zipf-like: small ranks are common, as in news text.
            let u = Double(g.next() % 1_000_000) / 1_000_000
            return "w\(Int(pow(50_000, u)))"
        }
    }

    var articleCount: UInt64 = 0
    mutating func article() -> String {
        articleCount += 1
        return Self.words(seed: seed &* 1_000_003 &+ articleCount).joined(separator: " ")
    }

    mutating func edited(copyOf n: Int) -> String {
        var words = Self.words(seed: seed &* 1_000_003 &+ UInt64(n + 1))
        for _ in 0..<3 { words[Int(next() % UInt64(words.count))] = "edit\(next() % 1000)" }
        return words.joined(separator: " ")
    }
}
