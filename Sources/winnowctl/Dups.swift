import ArgumentParser
import Foundation
import WinnowStore

/// `winnowctl dups`: clusters with more than one member.
struct Dups: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the clusters of duplicate articles.")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Show at most this many clusters.")
    var limit = 50

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let store = try database.openStore()
        let clusters = try store.duplicateClusters(limit: limit)
        if json { return try printJSON(clusters) }
        if clusters.isEmpty { print("no duplicates") }
        for cluster in clusters {
            print("cluster \(cluster.clusterID) (\(cluster.members.count) articles)")
            for m in cluster.members {
                let role = m.articleID == cluster.canonicalArticleID ? "canonical" : m.status.rawValue
                let similarity = m.similarity.map { String(format: "%.2f", $0) } ?? "    "
                print("  \(m.articleID)  \(role.padding(toLength: 15, withPad: " ", startingAt: 0)) \(similarity)  \(ellipsize(m.title ?? m.url ?? "(untitled)", 70))")
            }
        }
    }
}
