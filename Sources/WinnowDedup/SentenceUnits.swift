/// Where a text's shingles stop: the ends of its sentences and paragraphs. Paragraphs moved about (a
/// common rewrite on aggregator sites) change only the shingles that cross between them, so windows
/// never cross; sentence ends count too, because a copy that lost its paragraph breaks (a feed's summary,
/// a page flattened to one block) still has them where the paragraphs ended.
///
/// A line that ends mid-sentence and is followed by a lowercase word goes on: hard-wrapped text is one
/// paragraph, however it was wrapped. A unit shorter than a shingle (a headline, a table row, "Yes.")
/// stands alone as one shingle of its words: joined to the next unit it would move with it. (Measured
/// on the dedup corpus against joining short units to the next: reordered paragraphs joined 179/179
/// against 177/179, no kind of copy joined less often, no pair across families.)
enum SentenceUnits {
    /// The units' word hashes, in order; one unit of all the words when there is no boundary.
    static func wordHashes(of text: String, seed: UInt64) -> [[UInt64]] {
        var text = text
        return text.withUTF8 { bytes in
            var units: [[UInt64]] = []
            var start = 0
            func cut(_ end: Int) {
                guard end > start else { return }
                let words = WordHashes.tokenize(UnsafeBufferPointer(rebasing: bytes[start..<end]), seed: seed)
                start = end
                if !words.isEmpty { units.append(words) }
            }
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                if b == 0x0A || b == 0x0D {
                    if !continues(bytes, lineEnd: i) { cut(i) }
                } else if b == 0x20, endsSentence(bytes, before: i), startsSentence(bytes, at: i) {
                    cut(i)
                } else if b == 0xE3 || b == 0xEF, i + 2 < bytes.count, isFullWidthStop(bytes[i], bytes[i + 1], bytes[i + 2]) {
                    cut(i + 3)
                    i += 3
                    continue
                }
                i += 1
            }
            cut(bytes.count)
            return units
        }
    }

    /// 。！？: a CJK sentence ends there, with no space after it.
    static func isFullWidthStop(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        (a == 0xE3 && b == 0x80 && c == 0x82) || (a == 0xEF && b == 0xBC && (c == 0x81 || c == 0x9F))
    }

    /// True when the text before `position` ends a sentence: `.`, `!`, `?` or `…`, then any closing
    /// quotes or brackets.
    static func endsSentence(_ bytes: UnsafeBufferPointer<UInt8>, before position: Int) -> Bool {
        var j = position - 1
        while j >= 0 {
            let b = bytes[j]
            if b == 0x22 || b == 0x27 || b == 0x29 || b == 0x5D { j -= 1; continue }  // " ' ) ]
            if j >= 2, bytes[j - 2] == 0xE2, bytes[j - 1] == 0x80, b == 0x9D || b == 0x99 { j -= 3; continue }  // ” ’
            if j >= 1, bytes[j - 1] == 0xC2, b == 0xBB { j -= 2; continue }  // »
            if b == 0x2E || b == 0x21 || b == 0x3F { return true }
            return j >= 2 && bytes[j - 2] == 0xE2 && bytes[j - 1] == 0x80 && b == 0xA6  // …
        }
        return false
    }

    /// True when the first non-space character after `position` can start a sentence: a capital letter,
    /// a digit or an opening quote or bracket. ("e.g. the" and "3.5 m" do not end a sentence.)
    static func startsSentence(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> Bool {
        var j = position
        while j < bytes.count, bytes[j] == 0x20 { j += 1 }
        guard j < bytes.count else { return false }
        let b = bytes[j]
        switch b {
        case 0x41...0x5A, 0x30...0x39, 0x22, 0x27, 0x28, 0x5B: return true
        case 0x00...0x7F: return false
        default:
            // One scalar decoded, only here (after a full stop and a space): “ ‘ « or a capital of any script.
            var iterator = UnsafeBufferPointer(rebasing: bytes[j..<min(bytes.count, j + 4)]).makeIterator()
            var decoder = UTF8()
            guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return false }
            return scalar == "\u{201C}" || scalar == "\u{2018}" || scalar == "\u{AB}" || scalar.properties.isUppercase
        }
    }

    /// True when a line break at `lineEnd` is inside a sentence: the line does not end one and the next
    /// line starts with a lowercase letter (hard-wrapped text).
    static func continues(_ bytes: UnsafeBufferPointer<UInt8>, lineEnd: Int) -> Bool {
        var before = lineEnd
        while before > 0, bytes[before - 1] == 0x20 || bytes[before - 1] == 0x0D || bytes[before - 1] == 0x0A { before -= 1 }
        guard before > 0, !endsSentence(bytes, before: before) else { return false }
        var after = lineEnd
        while after < bytes.count, bytes[after] == 0x20 || bytes[after] == 0x0A || bytes[after] == 0x0D { after += 1 }
        return after < bytes.count && (0x61...0x7A).contains(bytes[after])
    }
}
