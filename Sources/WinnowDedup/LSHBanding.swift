import Foundation

/// Locality-sensitive hashing by banding: a signature is cut into `bands` bands of `rows` values and each
/// band hashed to one bucket key; two signatures become candidates when they share a bucket.
public struct LSHBanding: Sendable, Equatable {
    public let bands: Int
    public let rows: Int

    public init(bands: Int, rows: Int) {
        self.bands = bands
        self.rows = rows
    }

    /// The banding with the fewest false candidates that still finds a pair AT the threshold with
    /// probability `minRecall`. (The usual false-positive/false-negative optimum puts the S-curve's
    /// midpoint above the threshold and finds only a third of the pairs near it.)
    public static func forThreshold(_ threshold: Double, permutations: Int, minRecall: Double = 0.95) -> LSHBanding {
        for rows in stride(from: permutations, through: 1, by: -1) {
            let bands = permutations / rows
            if probability(similarity: threshold, bands: bands, rows: rows) >= minRecall {
                return LSHBanding(bands: bands, rows: rows)
            }
        }
        return LSHBanding(bands: permutations, rows: 1)
    }

    /// The chance that a pair of this Jaccard similarity shares at least one bucket: 1 − (1 − s^r)^b.
    public static func probability(similarity s: Double, bands: Int, rows: Int) -> Double {
        1 - pow(1 - pow(s, Double(rows)), Double(bands))
    }

    public func probability(similarity s: Double) -> Double {
        Self.probability(similarity: s, bands: bands, rows: rows)
    }

    /// One bucket key per band, the band folded into the key so one integer column holds them all.
    public func bucketKeys(_ signature: [UInt64]) -> [Int64] {
        precondition(signature.count >= bands * rows, "signature shorter than the banding")
        return (0..<bands).map { band in
            var h = StableHash.mix(UInt64(band) &+ 0x9e37_79b9_7f4a_7c15)
            for i in (band * rows)..<((band + 1) * rows) { h = StableHash.mix(h ^ signature[i]) }
            return Int64(bitPattern: h)
        }
    }
}
