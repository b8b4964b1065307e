import ArgumentParser
import Foundation
import WinnowDedup
import WinnowPipeline

/// `winnowctl dedup-params`: the dedup parameters in force and the S-curve they give.
struct DedupParams: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dedup-params",
        abstract: "Show the dedup parameters, the LSH banding derived from them, and its S-curve.")

    @Option(name: .long, help: "The configuration to read (default: the built-in parameters).")
    var config: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        struct Point: Encodable { var similarity: Double; var probability: Double }
        var scheme: String
        var shingleSize: Int
        var shingleBounds: String
        var permutations: Int
        var threshold: Double
        var containment: Double
        var bands: Int
        var rows: Int
        var searchFloor: Double
        var curve: [Point]
    }

    func run() throws {
        let parameters = try config.map { try PipelineConfiguration.load(path: $0).dedup } ?? DedupParameters()
        let dedup = Deduplicator(parameters: parameters)
        let banding = dedup.banding
        let floor = Deduplicator.searchFloor(parameters)
        let points = stride(from: 0.1, through: 1.0001, by: 0.05).map { s in
            Output.Point(similarity: (s * 100).rounded() / 100, probability: banding.probability(similarity: s))
        }
        if json {
            return try printJSON(Output(scheme: parameters.scheme.rawValue, shingleSize: parameters.shingleSize,
                                        shingleBounds: parameters.bounds.rawValue, permutations: parameters.permutations, threshold: parameters.threshold,
                                        containment: parameters.containment, bands: banding.bands, rows: banding.rows,
                                        searchFloor: floor, curve: points))
        }
        print("signature      \(parameters.scheme == .onePermutation ? "one-permutation MinHash with optimal densification" : "classic MinHash") (\(parameters.permutations) values)")
        print("shingles       word \(parameters.shingleSize)-grams, 64-bit stable hash, " + (parameters.bounds == .sentences ? "within each sentence and paragraph (reordered paragraphs keep their shingles)" : "across the whole text"))
        print("threshold      estimated Jaccard >= \(parameters.threshold) is a duplicate")
        print("containment    " + (parameters.containment > 0 ? "estimated containment >= \(parameters.containment) (and Jaccard >= \(Deduplicator.containmentMinSimilarity)) is a duplicate" : "off"))
        print("banding        \(banding.bands) bands x \(banding.rows) rows, chosen so pairs at \(floor) are candidates with probability \(String(format: "%.3f", banding.probability(similarity: floor)))")
        print("")
        print("similarity  P(candidate)")
        for point in points {
            let bar = String(repeating: "#", count: Int((point.probability * 40).rounded()))
            let mark = abs(point.similarity - parameters.threshold) < 0.001 ? "  <- threshold" : (abs(point.similarity - floor) < 0.001 ? "  <- search floor" : "")
            print(String(format: "  %.2f      %.4f  ", point.similarity, point.probability) + bar + mark)
        }
    }
}
