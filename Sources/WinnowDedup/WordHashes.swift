/// Turns text into the hashes of its matching-key words without building the key string when it can:
/// ASCII text (with the common curly quotes, dashes and odd spaces of news copy) is tokenized straight
/// from its UTF-8 bytes. Any other text goes through `MatchingKey.key` first. Both paths give the same
/// words as `MatchingKey.words`, so exact hashes and shingles never depend on which path ran.
public enum WordHashes {
    public static func of(_ text: String, seed: UInt64) -> [UInt64] {
        var text = text
        return text.withUTF8 { bytes in
            if isFastPathSafe(bytes) { return tokenize(bytes, seed: seed, keyInput: false) }
            var key = MatchingKey.key(String(decoding: bytes, as: UTF8.self))
            return key.withUTF8 { tokenize($0, seed: seed, keyInput: true) }
        }
    }

    /// What a non-ASCII scalar does on the fast path. Everything not listed sends the text to the slow path.
    enum Action { case skip, wordBreak }

    @inline(__always)
    static func fastAction(_ scalar: UInt32) -> Action? {
        switch scalar {
        case 0x2018, 0x2019, 0x201A, 0x201B, 0x201C, 0x201D, 0x201E, 0x2032, 0x2033, 0x2026,  // quotes, primes, ellipsis
             0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD,                                 // zero-width, soft hyphen
             0x00AB, 0x00BB, 0x2022, 0x00B7:                                                 // guillemets, bullets
            return .skip
        case 0x2012, 0x2013, 0x2014, 0x2015,                                                 // dashes (Pd)
             0x00A0, 0x2000...0x200A, 0x202F, 0x205F, 0x3000, 0x2028, 0x2029:                 // spaces
            return .wordBreak
        default:
            return nil
        }
    }

    static func isFastPathSafe(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            guard let (scalar, length) = decode(bytes, at: i), fastAction(scalar) != nil else { return false }
            i += length
        }
        return true
    }

    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int)? {
        let b0 = UInt32(bytes[i])
        if b0 & 0xE0 == 0xC0, i + 1 < bytes.count {
            return (((b0 & 0x1F) << 6) | (UInt32(bytes[i + 1]) & 0x3F), 2)
        }
        if b0 & 0xF0 == 0xE0, i + 2 < bytes.count {
            return (((b0 & 0x0F) << 12) | ((UInt32(bytes[i + 1]) & 0x3F) << 6) | (UInt32(bytes[i + 2]) & 0x3F), 3)
        }
        return nil  // four-byte scalars (emoji and the like) take the slow path
    }

    /// Splits into words and hashes each with `StableHash.hash(word, seed:)`. On raw text ASCII letters
    /// and digits make words (upper case folded), whitespace and '-' break words and other punctuation
    /// vanishes; on key text (already folded) a space is the only separator.
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64, keyInput: Bool) -> [UInt64] {
        var result: [UInt64] = []
        result.reserveCapacity(bytes.count / 5)
        var hasher = StableHash.Incremental(seed: seed)
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if keyInput {
                if b == 0x20 {
                    if hasher.length > 0 { result.append(hasher.finish()); hasher = StableHash.Incremental(seed: seed) }
                } else {
                    hasher.add(b)
                }
                i += 1
                continue
            }
            if b < 0x80 {
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    hasher.add(b)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    hasher.add(b | 0x20)
                case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, UInt8(ascii: "-"):
                    if hasher.length > 0 { result.append(hasher.finish()); hasher = StableHash.Incremental(seed: seed) }
                default:
                    break  // punctuation and symbols vanish without breaking the word
                }
                i += 1
            } else {
                let (scalar, length) = decode(bytes, at: i)!  // isFastPathSafe checked it
                if fastAction(scalar) == .wordBreak, hasher.length > 0 {
                    result.append(hasher.finish())
                    hasher = StableHash.Incremental(seed: seed)
                }
                i += length
            }
        }
        if hasher.length > 0 { result.append(hasher.finish()) }
        return result
    }
}

extension StableHash {
    /// `StableHash.hash` fed one byte at a time: `Incremental(seed:)`, `add` each byte, `finish()`.
    public struct Incremental {
        var h: UInt64
        var word: UInt64 = 0
        var shift: UInt64 = 0
        public private(set) var length: UInt64 = 0

        public init(seed: UInt64) { h = seed ^ 0x9e37_79b9_7f4a_7c15 }

        @inline(__always)
        public mutating func add(_ byte: UInt8) {
            word |= UInt64(byte) << shift
            shift += 8
            length += 1
            if shift == 64 {
                h = StableHash.mix(h ^ word) &* 0x9e37_79b9_7f4a_7c15
                word = 0
                shift = 0
            }
        }

        @inline(__always)
        public func finish() -> UInt64 {
            var h = self.h
            if shift > 0 { h = StableHash.mix(h ^ word) &* 0x9e37_79b9_7f4a_7c15 }
            return StableHash.mix(h ^ length)
        }
    }
}
