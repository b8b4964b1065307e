import ArgumentParser
import Foundation
import WinnowClean
import WinnowDedup
import WinnowFeeds
import WinnowStore

/// `winnow-bench dedup --corpus FILE`: speed and accuracy of near-duplicate detection on the labelled
/// corpus made by bench/dedup/make_corpus.py.
struct DedupBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dedup", abstract: "Dedup speed and accuracy on a labelled corpus.")

    @Option(name: .long, help: "The corpus (JSON lines with id, family, variant, text).")
    var corpus: String

    @Option(name: .long, help: "Also report the in-memory rate on the first N documents (the ones the peers see).")
    var peerDocuments = 20_000

    @Option(name: .long, help: "Documents pushed end to end into SQLite (default: all).")
    var sqliteDocuments: Int?

    @Option(name: .long, help: "Articles per dedup transaction in the SQLite part.")
    var commitEvery = 2000

    @Option(name: .long, help: "Shingle bounds: sentences (the default) or none.")
    var bounds: ShingleBounds = .sentences

    @Option(name: .long, help: "Words per shingle (default: the configuration default).")
    var shingleSize: Int = DedupParameters().shingleSize

    @Flag(name: .long, help: "Only the SQLite part (for profiling it).")
    var onlySqlite = false

    struct Document {
        var family: Int
        var variant: String
        var text: String
    }

    func run() throws {
        let documents = try load()
        let bytes = documents.reduce(0) { $0 + $1.text.utf8.count }
        print("corpus: \(documents.count) documents, \(format(Double(bytes) / 1e6, 1)) MB, \(Set(documents.map(\.family)).count - 1) families")
        let dedup = Deduplicator(parameters: DedupParameters(shingleSize: shingleSize, bounds: bounds))
        print("parameters: \(dedup.fingerprint), threshold \(dedup.parameters.threshold), containment \(dedup.parameters.containment)")
        print("")
        if onlySqlite { return try sqlite(Array(documents.prefix(sqliteDocuments ?? documents.count)), dedup: dedup) }

        // 1. The whole in-memory pipeline on one core: tokenize + shingle + signature + LSH query (with
        //    verification) + insert, document after document.
        var index = LSHIndex(deduplicator: dedup)
        var indexToDocument: [Int] = []
        var flagged: [(query: Int, match: Match)] = []
        var firstN = 0.0
        let start = DispatchTime.now()
        for (i, document) in documents.enumerated() {
            if i == peerDocuments { firstN = seconds(since: start) }
            guard let fingerprint = dedup.fingerprint(of: document.text) else { continue }
            let keys = dedup.bucketKeys(fingerprint.signature)
            // Exact verification recomputes a candidate's shingles from its text, as the store does.
            let matches = index.query(fingerprint, keys: keys) { dedup.shingleSet(of: documents[indexToDocument[$0]].text) }
            for match in matches { flagged.append((i, match)) }
            index.insert(fingerprint.signature, keys: keys)
            indexToDocument.append(i)
        }
        let total = seconds(since: start)
        if documents.count <= peerDocuments { firstN = total }
        print("in memory, one core (tokenize + shingle + signature + LSH query + exact verify + insert):")
        print("  all \(documents.count): \(format(total, 2)) s, \(format(Double(documents.count) / total)) docs/s, \(format(Double(bytes) / 1e6 / total, 1)) MB/s")
        let n = min(peerDocuments, documents.count)
        print("  first \(n) (the peers' documents): \(format(Double(n) / firstN)) docs/s")
        breakdown(documents.prefix(n).map(\.text), dedup: dedup)

        // 2. Accuracy against exact Jaccard on the labelled pairs.
        accuracy(documents, flagged: flagged.map { ($0.query, indexToDocument[Int($0.match.id)], $0.match) }, dedup: dedup)

        // 3. End to end into SQLite, committed.
        try sqlite(Array(documents.prefix(sqliteDocuments ?? documents.count)), dedup: dedup)
        let memory = memoryMB()
        print("")
        print("peak RSS of this benchmark process: \(format(memory.peak)) MB (the corpus itself is held in memory)")
    }

    func load() throws -> [Document] {
        guard let data = FileManager.default.contents(atPath: corpus) else {
            throw ValidationError("cannot read \(corpus): make it with bench/dedup/make_corpus.py (bench/dedup/run.sh does)")
        }
        var documents: [Document] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  var text = object["text"] as? String else { throw ValidationError("\(corpus): a line is not a corpus document") }
            // As texts read from SQLite are: native, contiguous UTF-8 (a bridged string would be copied on every use).
            text.makeContiguousUTF8()
            documents.append(Document(family: object["family"] as? Int ?? -1, variant: object["variant"] as? String ?? "", text: text))
        }
        return documents
    }

    /// Where the time goes, step by step, on the same documents; and classic MinHash for comparison.
    func breakdown(_ texts: [String], dedup: Deduplicator) {
        let seed = dedup.parameters.seed
        var start = DispatchTime.now()
        let words = texts.map { WordHashes.of($0, seed: seed) }
        let tokenize = seconds(since: start)
        start = DispatchTime.now()
        let shingles = words.map { Shingles.hashes(wordHashes: $0, size: dedup.parameters.shingleSize, seed: seed) }
        let shingle = seconds(since: start)
        start = DispatchTime.now()
        let sets = texts.map(dedup.shingleSet)
        let fullShingleSet = seconds(since: start)
        start = DispatchTime.now()
        let signatures = sets.map { dedup.hasher.signature(shingles: $0) }
        let oph = seconds(since: start)
        let classic = MinHasher(parameters: DedupParameters(scheme: .classic))
        start = DispatchTime.now()
        _ = sets.map { classic.signature(shingles: $0) }
        let classicTime = seconds(since: start)
        start = DispatchTime.now()
        var index = LSHIndex(deduplicator: dedup)
        for (signature, set) in zip(signatures, sets) {
            let fingerprint = Fingerprint(signature: Signature(values: signature, shingleCount: set.count), shingles: set)
            let keys = dedup.bucketKeys(fingerprint.signature)
            _ = index.query(fingerprint, keys: keys) { sets[$0] }
            index.insert(fingerprint.signature, keys: keys)
        }
        let lsh = seconds(since: start)
        _ = shingles
        let n = Double(texts.count)
        func perDoc(_ t: Double) -> String { "\(format(t / n * 1e6, 1)) µs/doc" }
        print("  per step on those documents: tokenize \(perDoc(tokenize)), shingle \(perDoc(shingle)) (with sort + unique: \(perDoc(fullShingleSet)) from text), " +
              "signature \(perDoc(oph)) (one permutation; classic MinHash: \(perDoc(classicTime)), \(format(classicTime / oph, 1))x slower), " +
              "LSH query + exact verify + insert \(perDoc(lsh))")
    }

    func accuracy(_ documents: [Document], flagged: [(Int, Int, Match)], dedup: Deduplicator) {
        let parameters = dedup.parameters
        var cache: [Int: Set<UInt64>] = [:]
        func set(_ i: Int) -> Set<UInt64> {
            if let s = cache[i] { return s }
            let s = Set(dedup.shingleSet(of: documents[i].text))
            cache[i] = s
            return s
        }
        func exact(_ i: Int, _ j: Int) -> (jaccard: Double, containment: Double) {
            let a = set(i), b = set(j)
            let inter = Double(a.intersection(b).count)
            return (inter / Double(a.union(b).count), inter / Double(max(1, min(a.count, b.count))))
        }
        struct Pair: Hashable { var a: Int; var b: Int; init(_ x: Int, _ y: Int) { a = min(x, y); b = max(x, y) } }

        // Truth: every pair within a family, judged by exact Jaccard and containment.
        var families: [Int: [Int]] = [:]
        for (i, d) in documents.enumerated() where d.family >= 0 { families[d.family, default: []].append(i) }
        var truthResemblance = Set<Pair>(), truthContainment = Set<Pair>()
        var ophErrors: [Double] = [], classicErrors: [Double] = []
        let classic = MinHasher(parameters: DedupParameters(scheme: .classic))
        for members in families.values {
            for x in 0..<members.count {
                for y in (x + 1)..<members.count {
                    let (i, j) = (members[x], members[y])
                    let e = exact(i, j)
                    if e.jaccard >= parameters.threshold { truthResemblance.insert(Pair(i, j)) }
                    else if parameters.containment > 0, e.containment >= parameters.containment, e.jaccard >= Deduplicator.containmentSearchFloor {
                        truthContainment.insert(Pair(i, j))
                    }
                    let a = Array(set(i)), b = Array(set(j))
                    ophErrors.append(abs(MinHasher.similarity(dedup.hasher.signature(shingles: a), dedup.hasher.signature(shingles: b)) - e.jaccard))
                    classicErrors.append(abs(MinHasher.similarity(classic.signature(shingles: a), classic.signature(shingles: b)) - e.jaccard))
                }
            }
        }
        var flaggedPairs = Set<Pair>()
        var correct = 0, crossFamily = 0
        var wrong: [(Pair, Double, Double, Match)] = []
        for (i, j, match) in flagged {
            let pair = Pair(i, j)
            guard flaggedPairs.insert(pair).inserted else { continue }
            let e = exact(i, j)
            if documents[i].family != documents[j].family || documents[i].family < 0 { crossFamily += 1 }
            if e.jaccard >= parameters.threshold || e.containment >= parameters.containment { correct += 1 } else { wrong.append((pair, e.jaccard, e.containment, match)) }
        }
        let foundR = truthResemblance.intersection(flaggedPairs).count
        let foundC = truthContainment.intersection(flaggedPairs).count
        let precision = Double(correct) / Double(max(1, flaggedPairs.count))
        print("")
        print("accuracy (pairs, against exact Jaccard and containment of the shingle sets):")
        print("  flagged pairs: \(flaggedPairs.count) (\(crossFamily) across families), precision \(format(precision, 4)) (\(flaggedPairs.count - correct) below both bounds)")
        print("  resemblance: \(truthResemblance.count) pairs with exact Jaccard >= \(parameters.threshold), recall \(format(Double(foundR) / Double(max(1, truthResemblance.count)), 4))")
        print("  containment: \(truthContainment.count) more pairs with exact containment >= \(parameters.containment) and Jaccard >= \(Deduplicator.containmentSearchFloor), recall \(format(Double(foundC) / Double(max(1, truthContainment.count)), 4))")
        for (pair, j, c, match) in wrong.prefix(5) {
            print("    below bounds: \(documents[pair.a].variant) ~ \(documents[pair.b].variant): exact J \(format(j, 3)) C \(format(c, 3)), estimated J \(format(match.similarity, 3)) C \(format(match.containment, 3)) (\(match.kind.rawValue))")
        }
        // Each copy joined to its family's original, directly or through other copies (as clusters join them).
        var parent = Array(documents.indices)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
        for pair in flaggedPairs { parent[root(pair.a)] = root(pair.b) }
        var original: [Int: Int] = [:]
        for (i, d) in documents.enumerated() where d.variant == "original" { original[d.family] = i }
        var joined: [String: (Int, Int)] = [:]
        for (i, d) in documents.enumerated() where d.family >= 0 && d.variant != "original" {
            guard let o = original[d.family] else { continue }
            let (hit, all) = joined[d.variant] ?? (0, 0)
            joined[d.variant] = (hit + (root(i) == root(o) ? 1 : 0), all + 1)
        }
        print("  copies joined to their original, by kind: " + joined.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.0)/\($0.value.1)" }.joined(separator: ", "))
        let ophMean = ophErrors.reduce(0, +) / Double(max(1, ophErrors.count))
        let classicMean = classicErrors.reduce(0, +) / Double(max(1, classicErrors.count))
        print("  estimator error on the \(ophErrors.count) family pairs (mean |estimate - exact Jaccard|): one permutation \(format(ophMean, 4)), classic \(format(classicMean, 4))")
    }

    func sqlite(_ documents: [Document], dedup: Deduplicator) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try ArticleStore.open(path: folder.appendingPathComponent("bench.sqlite").path)
        try store.checkDedupParameters(dedup)
        let feed = try store.register(feeds: [FeedRegistration(name: "bench", url: "https://bench.invalid/")])[0]
        // Stages 1 and 2 are filled untimed: this measures stage 3.
        for chunk in stride(from: 0, to: documents.count, by: 1000) {
            let items = documents[chunk..<min(chunk + 1000, documents.count)].enumerated().map { offset, d in
                FeedItem(guid: "doc-\(chunk + offset)", content: d.text)
            }
            try store.record(feedID: feed.id, outcome: FetchOutcome(startedAt: 0, durationMS: 0, httpStatus: 200, bytes: 0, nextFetchAt: 0, items: items))
        }
        while true {
            let raw = try store.pendingClean(limit: 1000)
            if raw.isEmpty { break }
            _ = try store.saveClean(raw.map { r in
                let text = r.item.content ?? ""
                return (r.id, CleanedDocument(title: nil, author: nil, text: text, removed: []), dedup.textHash(text))
            })
        }
        let start = DispatchTime.now()
        let cpuStart = cpuSeconds()
        var done = 0, duplicates = 0
        var reading = 0.0
        while true {
            let readStart = DispatchTime.now()
            let batch = try store.pendingDedup(limit: commitEvery)
            reading += seconds(since: readStart)
            if batch.isEmpty { break }
            let results = try DedupStage(deduplicator: dedup).run(batch, in: store)
            done += results.count
            duplicates += results.filter { $0.status != .new }.count
        }
        let elapsed = seconds(since: start)
        let cpu = cpuSeconds()
        print("  (reading the pending batches: \(format(reading, 2)) s; CPU user \(format(cpu.user - cpuStart.user, 2)) s, system \(format(cpu.system - cpuStart.system, 2)) s)")
        print("")
        print("end to end into SQLite (stage 3: read stage 2, exact check, signature, LSH lookup in SQLite, verify, write article + signature + buckets, commit every \(commitEvery)):")
        print("  \(done) documents in \(format(elapsed, 2)) s: \(format(Double(done) / elapsed)) docs/s, \(duplicates) duplicates")
        let size = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("bench.sqlite").path)[.size] as? NSNumber)?.doubleValue ?? 0
        print("  database: \(format(size / 1e6)) MB, \(try store.bucketRowCount()) bucket rows")
    }
}

extension ShingleBounds: ExpressibleByArgument {}
