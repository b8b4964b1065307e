#if canImport(Glibc)
import Glibc
#endif

/// Small string scans on UTF-8, for the parser's hot path: Foundation's trimming, `range(of:)` and
/// NSRegularExpression go through UTF-16 and cost more than the whole XML parse of a feed.

extension StringProtocol where SubSequence == Substring {
    /// The string without leading and trailing white space (Unicode's, as Python's `str.strip()` and
    /// Foundation's `.whitespacesAndNewlines`).
    var trimmed: String {
        // Most text starts and ends with a visible ASCII character: nothing to walk, nothing to copy
        // (a String is returned as it is).
        let scalars = unicodeScalars
        if let first = scalars.first?.value, let last = scalars.last?.value, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return String(self) }
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, scalars[start].isSpace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].isSpace { end = scalars.index(before: end) }
        return String(self[start..<end])
    }
}

extension Unicode.Scalar {
    /// White space or a line break, ASCII checked without looking up Unicode properties.
    var isSpace: Bool {
        if value < 0x80 { return value == 0x20 || (0x09...0x0D).contains(value) }
        return properties.isWhitespace || value == 0x85
    }
}

extension Array where Element == UInt8 {
    /// Appends a string's UTF-8 from its contiguous storage: `append(contentsOf: s.utf8)` copies it
    /// through the generic sequence path, and `+= Array(s.utf8)` makes an array of it first.
    mutating func append(utf8 string: String) {
        var string = string
        string.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends a literal's bytes (markup such as `&lt;` or `</`), without an array made of them.
    mutating func append(ascii literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }
}

/// Byte-level helpers over UTF-8.
enum ASCIIScan {
    /// Lower-cases an ASCII letter; other bytes unchanged.
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// A byte that continues a word (`\w`: ASCII letters, digits, underscore, and any non-ASCII byte).
    @inline(__always) static func isWord(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80
    }

    /// Whether `bytes` at `index` starts with `lowercaseNeedle` (ASCII), ignoring case.
    static func hasPrefix<C: RandomAccessCollection>(_ bytes: C, at index: C.Index, _ lowercaseNeedle: String) -> Bool
    where C.Element == UInt8, C.Index == Int {
        var j = index
        for n in lowercaseNeedle.utf8 {
            guard j < bytes.endIndex, lower(bytes[j]) == n else { return false }
            j += 1
        }
        return true
    }

    /// Whether `bytes` contains `lowercaseNeedle` (ASCII, starting with a byte that is not a letter,
    /// which memchr finds), ignoring the case of the rest.
    static func contains(_ bytes: ArraySlice<UInt8>, _ lowercaseNeedle: String) -> Bool {
        guard let first = lowercaseNeedle.utf8.first else { return true }
        return bytes.withUnsafeBufferPointer { b in
            var i = 0
            while let hit = index(of: first, in: b, from: i) {
                if hasPrefix(b, at: hit, lowercaseNeedle) { return true }
                i = hit + 1
            }
            return false
        }
    }

    /// The index of the first `byte` in `bytes[start..<end]` (memchr); `end` defaults to the end.
    static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int? = nil) -> Int? {
        let end = end ?? bytes.count
        guard start < end, let base = bytes.baseAddress, let found = memchr(base + start, Int32(byte), end - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The index of the first of three bytes (`a`, `b` or `c`; repeat one to look for fewer) in
    /// `bytes[start...]`, `bytes.count` when there is none. Eight bytes are tested at a time (a zero byte
    /// in the word XOR the wanted byte repeated, the classic bit trick), then the hit is found in them:
    /// markup scanners spend most of their time in the text between tags.
    static func firstIndex(of a: UInt8, _ b: UInt8, _ c: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let n = bytes.count
        var i = start
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let ma = ones &* UInt64(a), mb = ones &* UInt64(b), mc = ones &* UInt64(c)
            @inline(__always) func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
            while i + 8 <= n {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if hasZero(v ^ ma) || hasZero(v ^ mb) || hasZero(v ^ mc) { break }
                i += 8
            }
        }
        while i < n, bytes[i] != a, bytes[i] != b, bytes[i] != c { i += 1 }
        return i
    }

    /// Where the run of ASCII starting at `start` ends, read eight bytes at a time.
    static func endOfASCII(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        while i + 8 <= bytes.count, UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
        while i < bytes.count, bytes[i] < 0x80 { i += 1 }
        return i
    }
}
