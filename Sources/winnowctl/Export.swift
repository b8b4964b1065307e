import ArgumentParser
import Foundation
import WinnowPipeline
import WinnowStore

/// `winnowctl export`: stored articles as JSON Lines, in id order, resumable with `--after`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write stored articles as JSON Lines (one article a line, in id order; fields in docs/export.md).",
        discussion: "Resume where a previous export stopped with --after LAST_ID. An --output name ending in .gz is gzip-compressed.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var selection: ArticleSelection

    @Option(name: .long, help: "Only articles stored at or after this time: an ISO 8601 date or time (2026-12-01, 2026-12-01T08:00:00Z) or an age (24h, 7d).")
    var since: String?

    @Option(name: .long, help: "Write to this file (written beside it and renamed when complete; .gz compresses) instead of standard output.")
    var output: String?

    @Option(name: .long, help: "At most this many articles.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more, not \(limit)") }
        if let since, parseTime(since) == nil {
            throw ValidationError("--since \"\(since)\" is not an ISO 8601 date or time (2026-12-01, 2026-12-01T08:00:00Z) or an age (24h, 7d)")
        }
    }

    func run() throws {
        let store = try database.openStore()
        var filter = try selection.filter(store)
        filter.storedSince = since.flatMap { parseTime($0) }
        filter.limit = limit
        let out = try OutputFile(path: output)
        // A bar on a terminal only; scripts and logs get the one summary line.
        let showProgress = isatty(STDERR_FILENO) != 0 && (output != nil || isatty(STDOUT_FILENO) == 0)
        let progress = showProgress ? Progress(total: try store.exportCount(filter), label: "export") : nil
        var count = 0, last: Int64?
        do {
            try store.exportArticles(filter) { article in
                try out.write(ArticleJSON.line(article) + "\n")
                count += 1
                last = article.id
                if count % 1000 == 0 { progress?.update(count) }
            }
            try out.finish()
        } catch {
            out.abandon()
            throw error
        }
        progress?.update(count)
        progress?.finish()
        if let output {
            let resume = last.map { "; continue later with --after \($0)" } ?? ""
            FileHandle.standardError.write(Data("exported \(count) article\(count == 1 ? "" : "s") to \(output) (\(out.bytesWritten) bytes)\(resume)\n".utf8))
        }
    }
}

/// `winnowctl follow`: each newly stored article as a JSON line, as it lands.
struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each newly stored article as a JSON line as it lands (the export format), until interrupted.",
        discussion: "Reads the store the daemon writes, every --interval. Starts after the newest article; --after ID starts after that id instead (0: from the first).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var selection: ArticleSelection

    @Option(name: .long, help: "How often to look for new articles, in seconds.")
    var interval = 1.0

    @Option(name: .long, help: "Exit after printing this many articles.")
    var count: Int?

    func validate() throws {
        guard interval >= 0.05, interval <= 3600 else { throw ValidationError("--interval must be from 0.05 to 3600 seconds, not \(interval)") }
        if let count, count < 1 { throw ValidationError("--count must be 1 or more, not \(count)") }
    }

    func run() throws {
        let store = try database.openStore()
        var filter = try selection.filter(store)
        if selection.after == nil { filter.afterID = try store.lastArticleID() }
        let out = try OutputFile(path: nil)
        var printed = 0
        while true {
            if let count { filter.limit = count - printed }
            try store.exportArticles(filter) { article in
                try out.write(ArticleJSON.line(article) + "\n")
                filter.afterID = article.id
                printed += 1
            }
            try out.flush()
            if let count, printed >= count { return }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}

/// The selection `export` and `follow` share.
struct ArticleSelection: ParsableArguments {
    @Option(name: .long, help: "Only articles with a greater id: the last id a previous run printed.")
    var after: Int64?

    @Option(name: .long, help: "Only the articles of this feed (its name in pipeline.json; \"local\" for ingested documents).")
    var feed: String?

    @Flag(name: .long, help: "Only each cluster's canonical article (one article per story).")
    var canonicalOnly = false

    func validate() throws {
        if let after, after < 0 { throw ValidationError("--after must be an article id (0 or more), not \(after)") }
    }

    func filter(_ store: any InspectionStore) throws -> ExportFilter {
        if let feed, try !store.hasFeed(named: feed) {
            throw CLIError(.noInput, "no feed named \"\(feed)\" in this database; see the names with winnowctl feeds list or status", input: feed)
        }
        return ExportFilter(afterID: after ?? 0, feed: feed, canonicalOnly: canonicalOnly)
    }
}

/// Seconds since 1970 for an ISO 8601 date or time, or an age before now ("24h", "7d").
func parseTime(_ text: String, now: Double = Date().timeIntervalSince1970) -> Double? {
    if let age = PipelineConfiguration.seconds(inDuration: text) { return now - age }
    let full = ISO8601DateFormatter()
    if let date = full.date(from: text) { return date.timeIntervalSince1970 }
    full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = full.date(from: text) { return date.timeIntervalSince1970 }
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    return day.date(from: text)?.timeIntervalSince1970
}
