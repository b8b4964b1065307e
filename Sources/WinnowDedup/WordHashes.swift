/// Turns text into the hashes of its matching-key words without building the key string: text is
/// tokenized straight from its UTF-8 bytes. Two-byte scalars (Latin-1, Latin Extended, Greek, Cyrillic,
/// Hebrew, Arabic) are folded through a table, CJK ideographs, Hangul syllables and kana pass as they are; only a run holding anything else
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

    /// The word hashes being made: appending to an `Array` passed `inout` called the runtime's
    /// uniqueness check once a word, a tenth of the tokenizer's time on plain ASCII.
    struct WordBuffer {
        private(set) var base: UnsafeMutablePointer<UInt64>
        private(set) var count = 0
        private var capacity: Int

        init(capacity: Int) {
            self.capacity = max(16, capacity)
            base = .allocate(capacity: self.capacity)
        }

        @inline(__always)
        mutating func append(_ hash: UInt64) {
            if count == capacity { grow() }
            base[count] = hash
            count += 1
        }

        private mutating func grow() {
            let larger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }

        /// The hashes as an array; the buffer is freed.
        consuming func finish() -> [UInt64] {
            let words = Array(UnsafeBufferPointer(start: base, count: count))
            base.deallocate()
            return words
        }
    }

    /// The tokenizer. Its hot state (the word hash being built, the run) lives in locals of `run` so it
    /// stays in registers, and ASCII, the common case, has an inner loop of its own: state behind
    /// `self`, or state passed `inout` to a call that does not inline, would go through memory on every byte.
    struct Tokenizer {
        let bytes: UnsafeBufferPointer<UInt8>
        let seed: UInt64
        let table = ScalarTable.shared
        var result: [UInt64] = []

        init(bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) {
            self.bytes = bytes
            self.seed = seed
        }

        /// The words of a run that holds a scalar no table knows, through the matching key.
        static func appendSlowRun(_ run: UnsafeBufferPointer<UInt8>, seed: UInt64, to result: inout WordBuffer) {
            let raw = String(decoding: run, as: UTF8.self)
            for word in MatchingKey.key(raw).split(separator: " ") { result.append(StableHash.hash(word.utf8, seed: seed)) }
        }

        /// CJK ideographs, precomposed Hangul syllables and kana. A conjoining jamo or combining voiced
        /// mark after one would change it under NFKC, but those are slow-path scalars themselves, so
        /// their run is keyed as a whole.
        @inline(__always)
        static func isIdentityLetter(_ s: UInt32) -> Bool {
            (0x4E00...0x9FFF).contains(s) || (0x3400...0x4DBF).contains(s) || (0xAC00...0xD7A3).contains(s)
                || (0x3041...0x3096).contains(s) || (0x30A1...0x30FA).contains(s) || s == 0x30FC
        }

        /// Hashes the plain ASCII words from `start` on and returns where it stopped: the end, or the
        /// first byte of a run that holds anything else (a non-ASCII byte, or punctuation between
        /// letters, as in "U.S." or "don't"). A plain word is letters and digits, optionally with ASCII
        /// punctuation before and after it, between word breaks; its bytes are consecutive, so it is
        /// hashed in 8-byte chunks as `StableHash` does, lower-cased by setting bit 5 (which letters need
        /// and digits already have), and gives exactly the byte loop's hash.
        @inline(__always)
        static func asciiWords(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, seed: UInt64,
                               classes: UnsafeBufferPointer<UInt8>, into result: inout WordBuffer) -> Int {
            let n = bytes.count
            var i = start
            while i < n {
                var p = i
                var b = bytes[p]
                while b < 0x80, classes[Int(b)] == 0 {  // punctuation before the word vanishes
                    p += 1
                    if p == n { return n }
                    b = bytes[p]
                }
                if b >= 0x80 { return i }
                if classes[Int(b)] == 1 { i = p + 1; continue }  // a word break (nothing before it, or only punctuation)
                let wordStart = p
                var h = seed ^ 0x9e37_79b9_7f4a_7c15
                while true {
                    let chunk = load8(bytes, at: p)
                    let alnum = alnumBits(chunk)
                    if alnum == 0x8080_8080_8080_8080 {
                        h = StableHash.mix(h ^ (chunk | 0x2020_2020_2020_2020)) &* 0x9e37_79b9_7f4a_7c15
                        p += 8
                        continue
                    }
                    let length = (~alnum & 0x8080_8080_8080_8080).trailingZeroBitCount >> 3
                    if length > 0 {
                        let word = (chunk | 0x2020_2020_2020_2020) & ((1 << UInt64(length * 8)) - 1)
                        h = StableHash.mix(h ^ word) &* 0x9e37_79b9_7f4a_7c15
                    }
                    p += length
                    break
                }
                let wordLength = p - wordStart
                while p < n, bytes[p] < 0x80, classes[Int(bytes[p])] == 0 { p += 1 }  // punctuation after it vanishes too
                if p < n, bytes[p] >= 0x80 || classes[Int(bytes[p])] != 1 { return i }  // the run goes on: not a plain word
                result.append(StableHash.mix(h ^ UInt64(wordLength)))
                i = p == n ? n : p + 1
            }
            return n
        }

        /// Eight bytes from `offset`, little-endian; past the end, spaces (which end any word).
        @inline(__always)
        static func load8(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
            if offset + 8 <= bytes.count {
                return UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self))
            }
            var chunk: UInt64 = 0x2020_2020_2020_2020
            for k in 0..<(bytes.count - offset) {
                let shift = UInt64(k * 8)
                chunk = chunk & ~(0xFF << shift) | UInt64(bytes[offset + k]) << shift
            }
            return chunk
        }

        /// Bit 7 of each byte of `chunk` set where that byte is an ASCII letter or digit. Each byte is
        /// range-checked by adding to its low seven bits, which never carries into the next byte.
        @inline(__always)
        static func alnumBits(_ chunk: UInt64) -> UInt64 {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let high = ones &* 0x80
            let low7 = chunk & ~high
            let folded = low7 | ones &* 0x20  // 'A'...'Z' become 'a'...'z'
            let letter = (folded &+ ones &* (0x80 - 0x61)) & ~(folded &+ ones &* (0x80 - 0x7B))
            let digit = (low7 &+ ones &* (0x80 - 0x30)) & ~(low7 &+ ones &* (0x80 - 0x3A))
            return (letter | digit) & ~chunk & high
        }

        mutating func run() {
            // A local value whose methods inline, so it lives in registers.
            var hasher = StableHash.Incremental(seed: seed)
            var runStart = -1  // where the current run began; -1 between runs
            var slow = false   // the run holds a scalar only the matching key knows
            let asciiClass = table.asciiClass
            let bytes = self.bytes
            let seed = self.seed
            var result = WordBuffer(capacity: bytes.count / 5)
            var i = 0
            let n = bytes.count
            var atBreak = false  // a word break ends the run at `breakAt` (set by both paths, acted on once below)
            var breakAt = 0
            while i < n {
                if runStart < 0 {
                    // Between runs: plain ASCII words go eight bytes at a time; the first run that is
                    // not one is left to the byte loop below, from its first byte.
                    i = Self.asciiWords(bytes, from: i, seed: seed, classes: asciiClass, into: &result)
                    if i == n { break }
                }
                var b = bytes[i]
                if b < 0x80 {
                    // ASCII: letters and digits (lower-cased) build the word, other punctuation vanishes
                    // inside it, whitespace and '-' end it.
                    while true {
                        let c = asciiClass[Int(b)]
                        if c == 1 { atBreak = true; breakAt = i; break }
                        if runStart < 0 { runStart = i }
                        if c > 1 { hasher.add(c) }
                        i += 1
                        if i == n { break }
                        b = bytes[i]
                        if b >= 0x80 { break }
                    }
                    if atBreak { i += 1 }
                } else {
                    let (scalar, scalarLength) = decode(bytes, at: i)
                    var letters = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
                    if scalar < 0x800 {
                        // Two-byte scalars: the table knows what the matching key makes of each.
                        let entry = table.entries[Int(scalar) - 0x80]
                        switch entry.kind {
                        case .skip: break
                        case .wordBreak: atBreak = true; breakAt = i
                        case .letters: letters = UnsafeBufferPointer(rebasing: table.bytes[Int(entry.offset)..<Int(entry.offset) + Int(entry.length)])
                        case .slow: slow = true
                        }
                    } else if Self.isIdentityLetter(scalar) {
                        letters = UnsafeBufferPointer(rebasing: bytes[i..<i + scalarLength])
                    } else {
                        switch fastAction(scalar) {
                        case .wordBreak?: atBreak = true; breakAt = i
                        case .skip?: break
                        case nil: slow = true
                        }
                    }
                    if !atBreak, runStart < 0 { runStart = i }
                    for byte in letters { hasher.add(byte) }
                    i += scalarLength
                }
                if atBreak || i == n {
                    // The run ends before the break (or at the end): its word hash, or its words through the matching key.
                    if runStart >= 0 {
                        let end = atBreak ? breakAt : n
                        if slow {
                            Self.appendSlowRun(UnsafeBufferPointer(rebasing: bytes[runStart..<end]), seed: seed, to: &result)
                        } else if hasher.length > 0 {
                            result.append(hasher.finish())
                        }
                        hasher = StableHash.Incremental(seed: seed)
                        runStart = -1
                        slow = false
                    }
                    atBreak = false
                }
            }
            self.result = result.finish()
        }
    }
}

/// What the matching key makes of each scalar from U+0080 to U+07FF, learned once from `MatchingKey.key`
/// itself: the scalar between two letters either vanishes, breaks the word, or becomes letters.
/// Scalars that combine with their neighbours (combining marks) are left to the slow path.
/// Immutable after init (its buffers are written once there and never freed), so sharing it is safe.
final class ScalarTable: @unchecked Sendable {
    enum Kind: UInt8 { case skip, wordBreak, letters, slow }
    struct Entry { var kind: Kind; var offset: UInt16; var length: UInt8 }

    let entries: [Entry]
    let bytes: UnsafeBufferPointer<UInt8>
    /// For each ASCII byte: its lower-case form when it is a letter or digit, 1 when it breaks words
    /// (whitespace, '-'), 0 when it vanishes (other punctuation).
    let asciiClass: UnsafeBufferPointer<UInt8>

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
        let letters = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)  // lives as long as the process
        _ = letters.initialize(from: bytes)
        self.bytes = UnsafeBufferPointer(letters)
        let ascii = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 128)  // lives as long as the process
        for b in 0..<128 {
            let c = UInt8(b)
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): ascii[b] = c
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): ascii[b] = c | 0x20
            case 0x20, 0x09...0x0D, UInt8(ascii: "-"): ascii[b] = 1
            default: ascii[b] = 0
            }
        }
        asciiClass = UnsafeBufferPointer(ascii)
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

        /// The eight bytes of `word`, little-endian first: when the bytes so far fill whole chunks, one
        /// mixing step instead of eight `add`s (the text hash feeds word hashes this way).
        @inline(__always)
        public mutating func add(word: UInt64) {
            guard shift == 0 else {
                withUnsafeBytes(of: word.littleEndian) { for byte in $0 { add(byte) } }
                return
            }
            h = StableHash.mix(h ^ word) &* 0x9e37_79b9_7f4a_7c15
            length += 8
        }

        @inline(__always)
        public func finish() -> UInt64 {
            var h = self.h
            if shift > 0 { h = StableHash.mix(h ^ word) &* 0x9e37_79b9_7f4a_7c15 }
            return StableHash.mix(h ^ length)
        }
    }
}
