import ArgumentParser
import Foundation
import WinnowFeeds
import WinnowFetch

/// `winnowctl parse-feed FILE|URL...`: prints the parsed feed; with --json, shaped like Python
/// feedparser's result (one JSON object per line when given several sources).
struct ParseFeed: AsyncParsableCommand, FileListCommand {
    static let configuration = CommandConfiguration(commandName: "parse-feed", abstract: "Parse feed files or URLs and print the feed and its entries.")

    @Argument(help: "Feed files, or http(s) URLs.")
    var sources: [String]

    @Flag(name: .long, help: "Print JSON shaped like feedparser's result.")
    var json = false

    @Option(name: .long, help: "For files: the Content-Type the document would have been served with (it can decide the encoding).")
    var contentType: String?

    @Option(name: .long, help: "For files: the URL relative links are resolved against.")
    var base: String?

    /// The sources come from `CommandRunner.parse`, like `clean`'s and `ingest`'s files: ArgumentParser's
    /// positional parsing grows with the square of their count (2,212 feeds: 63% of the run).
    var files: [String] {
        get { sources }
        set { sources = newValue }
    }
    static let valueOptions: Set<String> = ["--content-type", "--base"]

    func run() async throws {
        var failed: ExitStatus?
        for source in sources {
            do {
                try await parse(source)
            } catch where sources.count > 1 {
                // The other sources are still parsed; the exit status is the first failure's.
                let failure = CLIError.from(error)
                FileHandle.standardError.write(Data("winnowctl: \(failure.message)\n".utf8))
                failed = failed ?? failure.status
            }
        }
        if let failed { throw ExitCode(failed.rawValue) }
    }

    func parse(_ source: String) async throws {
        let data: Data
        var type = contentType, url = base, contentLocation: String?
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            let response: FetchResponse
            do { response = try await Fetcher().fetch(FetchRequest(url: source)) } catch {
                throw CLIError(.unavailable, "cannot fetch \(source): \(error); check the URL and the network", input: source)
            }
            guard response.isSuccess else {
                throw CLIError(response.status == 404 || response.status == 410 ? .noInput : .unavailable,
                               "\(source) answered HTTP \(response.status); check the URL", input: source)
            }
            data = response.body
            type = type ?? response.contentType
            url = url ?? response.effectiveURL
            contentLocation = response.headers["content-location"]
        } else {
            guard FileManager.default.fileExists(atPath: source) else {
                throw CLIError(.noInput, "\(source): no such file; check the path, or give an http(s) URL", input: source)
            }
            guard let contents = FileManager.default.contents(atPath: source) else {
                throw CLIError(.ioError, "cannot read \(source): permission denied or an I/O error", input: source)
            }
            data = contents
        }
        let document: FeedDocument
        do {
            document = try FeedParser.document(data, contentType: type, url: url, contentLocation: contentLocation)
        } catch {
            if json {
                let failure: FeedValue = .object(["bozo": .bool(true), "bozo_exception": .string("\(error)"), "version": .string(""),
                                                  "encoding": .string(""), "feed": .object([:]), "entries": .list([])])
                return try emit(failure)
            }
            throw CLIError(.dataError, "\(source) is not a feed this parser reads: \(error)", input: source)
        }
        if json { return try emit(document.value) }
        let feed = FeedParser.feed(from: document)
        print("\(feed.title ?? "(untitled)")  [\(document.version)]\(document.bozoReason.map { "  malformed: \($0)" } ?? "")")
        if let link = feed.link { print(link) }
        print("\(feed.items.count) entries")
        for item in feed.items {
            print("")
            print("- \(item.title ?? "(untitled)")")
            print("  id:        \(item.guid)")
            if let link = item.link { print("  link:      \(link)") }
            if let author = item.author { print("  author:    \(author)") }
            if let date = item.published { print("  published: \(iso8601(date))") } else if let raw = item.publishedRaw { print("  published: \(raw) (not a date: kept as written)") }
            for enclosure in item.enclosures { print("  enclosure: \(enclosure.url)\(enclosure.type.map { "  (\($0))" } ?? "")") }
            if let duration = item.duration { print("  duration:  \(Int(duration)) s") }
            if let image = item.imageURL { print("  image:     \(image)") }
            if let location = item.location { print("  location:  \(location.type) \(location.coordinates.map { $0.map { String($0) }.joined(separator: " ") }.joined(separator: ", "))") }
        }
    }

    /// One source: pretty JSON; several: one compact object a line, in order.
    func emit(_ value: FeedValue) throws {
        guard sources.count > 1 else { return try printJSON(value) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

func iso8601(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}
