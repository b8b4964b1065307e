import ArgumentParser
import Foundation
import WinnowClean

/// `winnow-bench extract DIR`: cleans every `*.html` page of DIR (as bytes in their own encoding, the
/// way a fetched page arrives), writes the article text of each as `{name: {"articleBody": text}}`
/// for bench/extract/score.py, and prints pages per second on one core and peak memory.
struct ExtractBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extract", abstract: "HTML article extraction: output for scoring, speed and memory.")

    @Argument(help: "A folder of .html pages.")
    var folder: String

    @Option(name: .long, help: "Where to write the extracted article bodies (JSON).")
    var output: String

    @Option(name: .long, help: "Timed rounds over all the pages (the best round is reported).")
    var rounds = 5

    @Flag(name: .long, help: "Stop after finding the article in the page's structure: no boilerplate rules, no normalization.")
    var structureOnly = false

    func run() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".html") }.sorted()
        let pages = try names.map { try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent($0)) }
        let cleaner = try Cleaner()
        var bodies: [String: [String: String]] = [:]
        var best = Double.infinity
        var failures: [String] = []
        for round in 0..<rounds {
            let start = DispatchTime.now()
            for (name, page) in zip(names, pages) {
                do {
                    let text = try page.withUnsafeBytes {
                        structureOnly ? try Cleaner.extractArticle(htmlBytes: $0).paragraphs.joined(separator: "\n\n") : try cleaner.clean(htmlBytes: $0).text
                    }
                    if round == 0 { bodies[String(name.dropLast(5))] = ["articleBody": text] }
                } catch {
                    if round == 0 { failures.append("\(name): \(error)"); bodies[String(name.dropLast(5))] = ["articleBody": ""] }
                }
            }
            best = min(best, seconds(since: start))
        }
        let json = try JSONSerialization.data(withJSONObject: bodies, options: [.sortedKeys])
        try json.write(to: URL(fileURLWithPath: output))
        let megabytes = Double(pages.reduce(0) { $0 + $1.count }) / 1e6
        print("winnow: \(pages.count) pages (\(format(megabytes, 1)) MB), best of \(rounds) rounds: \(format(best, 3)) s, "
            + "\(format(Double(pages.count) / best)) pages/s on one core, peak RSS \(format(memoryMB().peak)) MB")
        #if DEBUG
        print("  (a debug build: the speed above means nothing; bench/extract/run.sh builds for release)")
        #endif
        for failure in failures { print("  failed: \(failure)") }
    }
}
