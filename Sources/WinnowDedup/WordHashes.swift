/// Turns text into the hashes of its matching-key words without building the key string: text is
/// tokenized straight from its UTF-8 bytes. Two-byte scalars (Latin-1, Latin Extended, Greek, Cyrillic,
/// Hebrew, Arabic) and CJK ideographs are folded through a table; only a run holding anything else
/// (combining marks, compatibility forms, emoji) goes through `MatchingKey.key`. Every path gives the
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
    /// inside them (so "U.S." is "us"). A run between word breaks that holds a scalar no table knows is
    /// keyed as a whole by `MatchingKey.key`, which may yield several words.
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> [UInt64] {
        var t = Tokenizer(bytes: bytes, seed: seed)
        t.run()
        return t.result
    }

    /// The tokenizer's state as a struct with mutating methods: a nested function capturing locals
    /// would force a dynamic exclusivity check on every byte.
    struct Tokenizer {
        let bytes: UnsafeBufferPointer<UInt8>
        let seed: UInt64
        let table = ScalarTable.shared
        var result: [UInt64] = []
        var hasher: StableHash.Incremental
        var runStart = -1
        var slow = false

        init(bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) {
            self.bytes = bytes
            self.seed = seed
            hasher = StableHash.Incremental(seed: seed)
            result.reserveCapacity(bytes.count / 5)
        }

        @inline(__always)
        mutating func startRun(_ i: Int) { if runStart < 0 { runStart = i } }

        mutating func endRun(at end: Int) {
            if runStart < 0 { return }
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

        mutating func run() {
            var i = 0
            let n = bytes.count
            while i < n {
                let b = bytes[i]
                if b < 0x80 {
                    if b &- UInt8(ascii: "a") < 26 || b &- UInt8(ascii: "0") < 10 {
                        startRun(i)
                        hasher.add(b)
                    } else if b &- UInt8(ascii: "A") < 26 {
                        startRun(i)
                        hasher.add(b | 0x20)
                    } else if b == 0x20 || b == UInt8(ascii: "-") || (b >= 0x09 && b <= 0x0D) {
                        endRun(at: i)
                    } else {
                        startRun(i)  // punctuation vanishes, but belongs to the run
                    }
                    i += 1
                    continue
                }
                let (scalar, length) = decode(bytes, at: i)
                if scalar < 0x800 {
                    // Two-byte scalars: the table knows what the matching key makes of each.
                    let entry = table.entries[Int(scalar) - 0x80]
                    switch entry.kind {
                    case .skip:
                        startRun(i)
                    case .wordBreak:
                        endRun(at: i)
                    case .letters:
                        startRun(i)
                        for k in 0..<Int(entry.length) { hasher.add(table.bytes[Int(entry.offset) + k]) }
                    case .slow:
                        startRun(i)
                        slow = true
                    }
                } else if (0x4E00...0x9FFF).contains(scalar) || (0x3400...0x4DBF).contains(scalar) {
                    // CJK ideographs are letters that NFKC and case folding leave alone.
                    startRun(i)
                    for k in 0..<length { hasher.add(bytes[i + k]) }
                } else {
                    switch fastAction(scalar) {
                    case .wordBreak?:
                        endRun(at: i)
                    case .skip?:
                        startRun(i)
                    case nil:
                        startRun(i)
                        slow = true
                    }
                }
                i += length
            }
            endRun(at: n)
        }
    }
}

/// What the matching key makes of each scalar from U+0080 to U+07FF, learned once from `MatchingKey.key`
/// itself: the scalar between two letters either vanishes, breaks the word, or becomes letters.
/// Scalars that combine with their neighbours (combining marks) are left to the slow path.
final class ScalarTable: Sendable {
    enum Kind: UInt8 { case skip, wordBreak, letters, slow }
    struct Entry { var kind: Kind; var offset: UInt16; var length: UInt8 }

    let entries: [Entry]
    let bytes: [UInt8]

    static let shared = ScalarTable()

    private init() {
        var entries: [Entry] = []
        var bytes: [UInt8] = []
        entries.reserveCapacity(0x800 - 0x80)
        for value in 0x80..<0x800 {
            guard let scalar = Unicode.Scalar(UInt32(value)), scalar.properties.canonicalCombiningClass == .notReordered,
                  !scalar.properties.isDefaultIgnorableCodePoint || scalar.properties.generalCategory == .format else {
                entries.append(Entry(kind: .slow, offset: 0, length: 0))
                continue
            }
            let key = MatchingKey.key("a" + String(scalar) + "b")
            guard key.hasPrefix("a"), key.hasSuffix("b") else {
                entries.append(Entry(kind: .slow, offset: 0, length: 0))
                continue
            }
            let middle = Array(key.utf8.dropFirst().dropLast())
            if middle.isEmpty {
                entries.append(Entry(kind: .skip, offset: 0, length: 0))
            } else if middle == [0x20] {
                entries.append(Entry(kind: .wordBreak, offset: 0, length: 0))
            } else if !middle.contains(0x20), middle.count < 256 {
                entries.append(Entry(kind: .letters, offset: UInt16(bytes.count), length: UInt8(middle.count)))
                bytes.append(contentsOf: middle)
            } else {
                entries.append(Entry(kind: .slow, offset: 0, length: 0))
            }
        }
        self.entries = entries
        self.bytes = bytes
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
