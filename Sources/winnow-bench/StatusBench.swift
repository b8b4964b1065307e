import ArgumentParser
import Foundation
import WinnowStore

/// `winnow-bench status --db PATH`: how long the real `winnowctl status` takes on a large store
/// (fill one first with `dedup-scale`), with `--feeds` feeds registered.
struct StatusBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Time `winnowctl status` on a large database.")

    @Option(name: .long, help: "The database (from dedup-scale).")
    var db: String

    @Option(name: .long, help: "Feeds to register before timing.")
    var feeds = 1_000

    @Option(name: .long, help: "Timed runs.")
    var runs = 20

    func run() throws {
        let store = try ArticleStore.open(path: db)  // runs pending migrations, as winnowd would
        let existing = try store.feeds().filter(\.active).map { FeedRegistration(name: $0.name, url: $0.url) }
        let added = (0..<max(0, feeds - existing.count)).map { FeedRegistration(name: "feed-\($0)", url: "https://feed\($0 % 100).localhost/\($0).xml") }
        try store.register(feeds: existing + added)
        let counts = try store.counts()
        print("database: \(try store.feeds().count) feeds, \(counts.raw) items, \(counts.articles) articles")
        let winnowctl = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("winnowctl")
        var times: [Double] = []
        for _ in 0..<runs {
            let process = Process()
            process.executableURL = winnowctl
            process.arguments = ["status", "--db", db]
            process.standardOutput = FileHandle.nullDevice
            let start = DispatchTime.now()
            try process.run()
            process.waitUntilExit()
            times.append(seconds(since: start) * 1000)
            guard process.terminationStatus == 0 else { throw ValidationError("winnowctl status failed") }
        }
        times.sort()
        print("winnowctl status, whole process, \(runs) runs: median \(format(times[times.count / 2], 1)) ms, max \(format(times.last!, 1)) ms")
    }
}
