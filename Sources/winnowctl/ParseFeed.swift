import ArgumentParser
import Foundation
import WinnowFeeds
import WinnowFetch

/// `winnowctl parse-feed FILE|URL...`: prints the parsed feed; with --json, shaped like Python
/// feedparser's result (one JSON object per line when given several sources).
struct ParseFeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse-feed", abstract: "Parse feed files or URLs and print the feed and its entries.")

    @Argument(help: "Feed files, or http(s) URLs.")
    var sources: [String]

    @Flag(name: .long, help: "Print JSON shaped like feedparser's result.")
    var json = false

    @Option(name: .long, help: "For files: the Content-Type the document would have been served with (it can decide the encoding).")
    var contentType: String?

    @Option(name: .long, help: "For files: the URL relative links are resolved against.")
    var base: String?

    func run() async throws {
        var failed = false
        for source in sources {
            do {
                try await parse(source)
            } catch let error as ValidationError where sources.count > 1 {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }

    func parse(_ source: String) async throws {
        let data: Data
        var type = contentType, url = base, contentLocation: String?
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            let response = try await Fetcher().fetch(FetchRequest(url: source))
            guard response.isSuccess else { throw ValidationError("\(source) answered HTTP \(response.status)") }
            data = response.body
            type = type ?? response.contentType
            url = url ?? response.effectiveURL
            contentLocation = response.headers["content-location"]
        } else {
            guard let contents = FileManager.default.contents(atPath: source) else {
                throw ValidationError("cannot read \(source): check that the file exists")
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
            throw ValidationError("\(source): \(error)")
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
