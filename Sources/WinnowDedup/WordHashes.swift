/// Turns text into the hashes of its matching-key words without building the key string: text is
/// tokenized straight from its UTF-8 bytes, and only a run of characters the byte path does not know
/// (accented or non-Latin letters, compatibility forms) goes through `MatchingKey.key`. Both give the
/// same words as `MatchingKey.words`, so exact hashes and shingles never depend on which path ran.
public enum WordHashes {
    public static func of(_ text: String, seed: UInt64) -> [UInt64] {
        var text = text
        return text.withUTF8 { tokenize($0, seed: seed) }
    }

    /// What a non-ASCII scalar does on the byte path; nil sends its run to `MatchingKey.key`.
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

    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int) {
        let b0 = UInt32(bytes[i])
        let n = bytes.count
        if b0 & 0xE0 == 0xC0, i + 1 < n { return (((b0 & 0x1F) << 6) | (UInt32(bytes[i + 1]) & 0x3F), 2) }
        if b0 & 0xF0 == 0xE0, i + 2 < n {
            return (((b0 & 0x0F) << 12) | ((UInt32(bytes[i + 1]) & 0x3F) << 6) | (UInt32(bytes[i + 2]) & 0x3F), 3)
        }
        if b0 & 0xF8 == 0xF0, i + 3 < n {
            return (((b0 & 0x07) << 18) | ((UInt32(bytes[i + 1]) & 0x3F) << 12) | ((UInt32(bytes[i + 2]) & 0x3F) << 6)
                    | (UInt32(bytes[i + 3]) & 0x3F), 4)
        }
        return (0xFFFD, 1)  // a stray byte: its run takes the slow path, which decodes it the same way String does
    }

    /// Splits into words and hashes each with `StableHash.hash(word, seed:)`. ASCII letters and digits
    /// make words (upper case folded), whitespace and '-' end them, other ASCII punctuation vanishes
    /// inside them (so "U.S." is "us"). A run between word breaks that holds an unknown scalar is
    /// keyed as a whole by `MatchingKey.key`, which may yield several words.
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> [UInt64] {
        var result: [UInt64] = []
        result.reserveCapacity(bytes.count / 5)
        var hasher = StableHash.Incremental(seed: seed)
        var runStart = -1
        var slow = false
        var i = 0
        let n = bytes.count

        @inline(__always)
        func endRun(at end: Int) {
            if slow {
                let raw = String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<end]), as: UTF8.self)
                for word in MatchingKey.key(raw).split(separator: " ") { result.append(StableHash.hash(word.utf8, seed: seed)) }
            } else if hasher.length > 0 {
                result.append(hasher.finish())
            }
            hasher = StableHash.Incremental(seed: seed)
            runStart = -1
            slow = false
        }

        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if runStart < 0 { runStart = i }
                    hasher.add(b)
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    if runStart < 0 { runStart = i }
                    hasher.add(b | 0x20)
                case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, UInt8(ascii: "-"):
                    if runStart >= 0 { endRun(at: i) }
                default:
                    if runStart < 0 { runStart = i }  // vanishes, but belongs to the run
                }
                i += 1
                continue
            }
            let (scalar, length) = decode(bytes, at: i)
            switch fastAction(scalar) {
            case .wordBreak?:
                if runStart >= 0 { endRun(at: i) }
            case .skip?:
                if runStart < 0 { runStart = i }
            case nil:
                if runStart < 0 { runStart = i }
                slow = true
            }
            i += length
        }
        if runStart >= 0 { endRun(at: n) }
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
