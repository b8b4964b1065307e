import ArgumentParser
import Foundation
import WinnowFeeds
import WinnowFetch

/// `winnowctl parse-feed FILE|URL`: prints the parsed feed, shaped like Python feedparser's result with --json.
struct ParseFeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse-feed", abstract: "Parse a feed file or URL and print the feed and its entries.")

    @Argument(help: "A feed file, or an http(s) URL.")
    var source: String

    @Flag(name: .long, help: "Print JSON shaped like feedparser's result.")
    var json = false

    func run() async throws {
        let data: Data
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            let response = try await Fetcher().fetch(FetchRequest(url: source))
            guard response.isSuccess else { throw ValidationError("\(source) answered HTTP \(response.status)") }
            data = response.body
        } else {
            guard let contents = FileManager.default.contents(atPath: source) else {
                throw ValidationError("cannot read \(source): check that the file exists")
            }
            data = contents
        }
        let result: FeedParser.Result
        do {
            result = try FeedParser.parse(data)
        } catch {
            if json {
                try printJSON(FeedJSON(bozo: true, bozoException: "\(error)", version: "", feed: .init(), entries: []))
                return
            }
            throw ValidationError("\(source): \(error)")
        }
        let feed = result.feed
        if json {
            return try printJSON(FeedJSON(
                bozo: result.bozoReason != nil, bozoException: result.bozoReason, version: feed.format.rawValue,
                feed: .init(title: feed.title, link: feed.link, subtitle: feed.description, language: feed.language,
                            updated: feed.updated.map(iso8601)),
                entries: feed.items.map { item in
                    .init(id: item.guid, link: item.link, title: item.title, author: item.author,
                          published: item.publishedRaw, publishedParsed: item.published.map(iso8601),
                          summary: item.summary, content: item.content.map { [.init(value: $0)] })
                }))
        }
        print("\(feed.title ?? "(untitled)")  [\(feed.format.rawValue)]\(result.bozoReason.map { "  malformed: \($0)" } ?? "")")
        if let link = feed.link { print(link) }
        print("\(feed.items.count) entries")
        for item in feed.items {
            print("")
            print("- \(item.title ?? "(untitled)")")
            print("  id:        \(item.guid)")
            if let link = item.link { print("  link:      \(link)") }
            if let author = item.author { print("  author:    \(author)") }
            if let date = item.published { print("  published: \(iso8601(date))") } else if let raw = item.publishedRaw { print("  published: \(raw) (unparsed)") }
        }
    }
}

/// The subset of feedparser's result that Winnow fills.
struct FeedJSON: Encodable {
    struct FeedInfo: Encodable {
        var title: String?
        var link: String?
        var subtitle: String?
        var language: String?
        var updated: String?
    }
    struct Content: Encodable { var value: String }
    struct Entry: Encodable {
        var id: String
        var link: String?
        var title: String?
        var author: String?
        var published: String?
        var publishedParsed: String?
        var summary: String?
        var content: [Content]?
        enum CodingKeys: String, CodingKey {
            case id, link, title, author, published, summary, content
            case publishedParsed = "published_parsed"
        }
    }
    var bozo: Bool
    var bozoException: String?
    var version: String
    var feed: FeedInfo
    var entries: [Entry]
    enum CodingKeys: String, CodingKey {
        case bozo, version, feed, entries
        case bozoException = "bozo_exception"
    }
}

func iso8601(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}
