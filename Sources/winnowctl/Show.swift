import ArgumentParser
import Foundation
import WinnowDedup
import WinnowPipeline
import WinnowStore

/// `winnowctl show ID [--similar]`: one stored article, and with --similar its cluster's members.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a stored article; --similar lists its cluster with similarities.")

    @Argument(help: "The article id.")
    var id: Int64

    @Flag(name: .long, help: "List the members of the article's cluster with their estimated similarity to it.")
    var similar = false

    @OptionGroup var database: DatabaseOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    struct Similar: Encodable {
        var articleID: Int64
        var feed: String
        var title: String?
        var status: String
        var canonical: Bool
        var similarity: Double?
        var containment: Double?
    }

    struct Output: Encodable {
        var article: ArticleDetail
        var similar: [Similar]?
    }

    func run() throws {
        let store = try database.openStore()
        guard let article = try store.article(id: id) else {
            throw CLIError(.noInput, "no article \(id) in \(try database.databaseName()): see the ids with winnowctl export or dups", input: String(id))
        }
        var similarList: [Similar]?
        if similar {
            // Exact similarities, from the stored cleaned texts, with the shingling the verdicts used
            // (the configuration's, when there is one).
            let configured = FileManager.default.fileExists(atPath: database.config)
                ? try loadConfiguration(database.config).dedup : nil
            let dedup = Deduplicator(parameters: configured ?? DedupParameters())
            let own = dedup.shingleSet(of: article.text)
            similarList = try store.clusterMembers(article.clusterID).filter { $0.articleID != article.id }.map { member in
                var entry = Similar(articleID: member.articleID, feed: member.feed, title: member.title, status: member.status.rawValue,
                                    canonical: member.articleID == article.canonicalArticleID)
                if let theirs = try store.article(id: member.articleID) {
                    (entry.similarity, entry.containment) = Deduplicator.compare(own, dedup.shingleSet(of: theirs.text))
                }
                return entry
            }
        }
        if json { return try printJSON(Output(article: article, similar: similarList)) }
        print("article \(article.id)  [\(article.status.rawValue)]  feed \(article.feed)")
        if let title = article.title { print("title:   \(title)") }
        if let author = article.author { print("author:  \(author)") }
        if let url = article.url { print("url:     \(url)") }
        if let media = article.media { printMedia(media) }
        var cluster = "cluster: \(article.clusterID) (canonical article \(article.canonicalArticleID))"
        if let of = article.duplicateOf {
            cluster += ", duplicate of \(of)" + (article.similarity.map { String(format: ", similarity %.2f", $0) } ?? "")
                + (article.matchKind.map { " by \($0)" } ?? "")
        }
        print(cluster)
        print("")
        print(article.text)
        if !article.removed.isEmpty {
            print("")
            print("removed (\(article.removed.count)):")
            for removal in article.removed { print("  [\(removal.ruleID)] \(ellipsize(removal.text, 100))") }
        }
        if let similarList {
            print("")
            print(similarList.isEmpty ? "no other articles in this cluster" : "cluster \(article.clusterID):")
            for s in similarList {
                let similarity = s.similarity.map { String(format: "%.2f", $0) } ?? "  - "
                print("  \(s.articleID)  \(similarity)  \(s.canonical ? "canonical " : s.status.padding(toLength: 10, withPad: " ", startingAt: 0))  \(s.feed)  \(ellipsize(s.title ?? "(untitled)", 60))")
            }
        }
    }

    /// The item's files, picture, running time and place, one line each.
    func printMedia(_ media: ItemMedia) {
        for enclosure in media.enclosures {
            let details = [enclosure.type, enclosure.length.map { "\($0) bytes" }].compactMap { $0 }
            print("file:    \(enclosure.url)" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"))
        }
        if let image = media.imageURL { print("image:   \(image)") }
        if let duration = media.duration, duration.isFinite, duration >= 0, duration < 1e12 {
            let seconds = Int(duration.rounded())
            print("length:  " + String(format: "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60))
        }
        if let point = media.location {
            let kind = media.geometry.map { $0.type == "Point" ? "" : " (centre of a \($0.type))" } ?? ""
            print("place:   \(point.latitude), \(point.longitude)\(kind)")
        }
    }
}
