import Foundation

/// The one seeded generator of the tests and benchmarks (SplitMix64, Steele, Lea and Flood 2014):
/// a kill schedule, a synthetic text or a property test's inputs are the same on every run of a seed.
/// Property tests start from `SplitMix.forTest(seed:)` and put the generator in their failure
/// messages (`"\(rng)"` prints its seed), so any failure can be replayed.
public struct SplitMix: RandomNumberGenerator, CustomStringConvertible {
    /// The seed this generator started from.
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A non-negative Int.
    public mutating func nextInt() -> Int { Int(truncatingIfNeeded: next() >> 1) }

    public var description: String { "seed \(seed) (replay: WINNOW_TEST_SEED=\(seed))" }

    /// A property test's generator: seeded with `seed`, so CI sees the same inputs on every run, unless
    /// WINNOW_TEST_SEED is set, to a number (replay a failure) or to `random` (explore new inputs).
    public static func forTest(seed: UInt64) -> SplitMix {
        switch ProcessInfo.processInfo.environment["WINNOW_TEST_SEED"] {
        case "random": SplitMix(seed: UInt64.random(in: .min ... .max))
        case let value?: SplitMix(seed: UInt64(value) ?? seed)
        case nil: SplitMix(seed: seed)
        }
    }
}
