import ArgumentParser
import Foundation
import WinnowFeeds

/// `winnow-bench feeds FILE...`: parse speed of WinnowFeeds on documents already in memory (the way
/// bench/feeds/run.sh times Python feedparser), over all the files and separately over the large ones.
struct FeedBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "feeds", abstract: "Feed parsing speed, in memory.")

    @Option(name: .long, help: "A file listing the documents to parse, one path a line.")
    var list: String

    @Option(name: .long, help: "Timed rounds over all the documents (the best round is reported).")
    var rounds = 5

    @Option(name: .long, help: "Documents at least this many bytes are also timed on their own as the large feeds.")
    var largeBytes = 100_000

    func run() throws {
        let paths = try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n").map(String.init)
        let documents = try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let large = documents.filter { $0.count >= largeBytes }
        report("all \(documents.count) documents", documents, rounds: rounds)
        if !large.isEmpty { report("the \(large.count) large document(s) (>= \(largeBytes) bytes)", large, rounds: rounds * 20) }
    }

    /// Parses every document `rounds` times and prints the best round, which is the least disturbed by
    /// the machine's other work, and the median round (many short rounds find a quiet moment more
    /// often than a few long ones: compare medians too): first to the feedparser-shaped document (what feedparser.parse
    /// returns, HTML sanitized), then also to the pipeline's model (`FeedParser.parse`, what the
    /// daemon runs, HTML kept as received).
    private func report(_ label: String, _ documents: [Data], rounds: Int) {
        let bytes = documents.reduce(0) { $0 + $1.count }
        for pipelineModel in [false, true] {
            var times: [Double] = []
            var entries = 0
            for _ in 0..<rounds {
                entries = 0
                let start = DispatchTime.now()
                for data in documents {
                    if pipelineModel {
                        if let result = try? FeedParser.parse(data, url: "http://127.0.0.1/feed.xml") { entries += result.feed.items.count }
                    } else if let document = try? FeedParser.document(data, url: "http://127.0.0.1/feed.xml") {
                        entries += document.entries.count
                    }
                }
                times.append(seconds(since: start))
            }
            times.sort()
            let best = times[0], median = times[times.count / 2]
            print("winnow\(pipelineModel ? " + pipeline model" : ""), \(label): \(bytes) bytes, \(entries) entries: \(format(best * 1000, 1)) ms, "
                  + "\(format(Double(documents.count) / best)) feeds/s, \(format(Double(bytes) / 1e6 / best, 1)) MB/s (best of \(rounds)), median \(format(median * 1000, 1)) ms")
        }
    }
}
