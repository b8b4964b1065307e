/// A fast 64-bit hash whose output is fixed by this code alone: the same input and seed give the same
/// value on every machine and every release (Swift's `Hasher` is randomly seeded per process, so it cannot be used).
public enum StableHash {
    /// MurmurHash3's 64-bit finalizer: a bijective mix with full avalanche.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }

    /// Hashes UTF-8 bytes eight at a time (little-endian words), then finalizes with the length.
    public static func hash<Bytes: Collection>(_ bytes: Bytes, seed: UInt64 = 0) -> UInt64 where Bytes.Element == UInt8 {
        var h = seed ^ 0x9e37_79b9_7f4a_7c15
        var word: UInt64 = 0
        var shift: UInt64 = 0
        var length: UInt64 = 0
        for byte in bytes {
            word |= UInt64(byte) << shift
            shift += 8
            length += 1
            if shift == 64 {
                h = mix(h ^ word) &* 0x9e37_79b9_7f4a_7c15
                word = 0
                shift = 0
            }
        }
        if shift > 0 { h = mix(h ^ word) &* 0x9e37_79b9_7f4a_7c15 }
        return mix(h ^ length)
    }

    public static func hash(_ string: String, seed: UInt64 = 0) -> UInt64 {
        var s = string
        return s.withUTF8 { hash($0, seed: seed) }
    }
}
