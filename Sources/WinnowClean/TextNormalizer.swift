import Foundation

/// Normalization of stored text: faithful to what was written, minus invisible and deceptive characters.
public enum TextNormalizer {
    /// Zero-width characters and the soft hyphen, which only ever hide differences.
    static func isInvisible(_ value: UInt32) -> Bool {
        switch value {
        case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xAD: return true
        default: return false
        }
    }

    /// NFC, invisible and control characters removed, look-alike letters folded to their word's script, spaces collapsed.
    public static func normalizeParagraph(_ text: String) -> String {
        // Fast path: ASCII text is already NFC and holds no invisible or look-alike letters; most of it has
        // no space to collapse either, and is returned as it is.
        switch asciiSpacing(text) {
        case .clean: return text
        case .collapse: return ArticleExtractor.collapseSpaces(text)
        case .notASCII: break
        }
        // Most scripts' letters are NFC as they stand: the Foundation round trip is for text that holds a
        // combining mark or another scalar NFC may change.
        var composed = composedInParts(text)
        // One pass over the UTF-8 bytes that copies kept stretches whole (appending scalar by scalar was a
        // sixth of cleaning a non-Latin text, and byte by byte still an eighth of an ingest); it notes
        // whether a word may mix scripts on the way.
        var out: [UInt8] = []
        var mixed = MixedScriptScan()
        composed.withUTF8 { bytes in
            out.reserveCapacity(bytes.count)
            var lastWasSpace = true
            var kept = 0  // bytes[kept..<i] are kept and not yet copied
            var i = 0
            while i < bytes.count {
                let lead = bytes[i]
                if lead >= 0x21 && lead < 0x7F {
                    mixed.add(lead)
                    lastWasSpace = false
                    i += 1
                    continue
                }
                if lead == 0x20 {
                    // A single space is kept as it stands; a second one is dropped.
                    if lastWasSpace {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[kept..<i]))
                        kept = i + 1
                    } else {
                        mixed.add(0x20)
                    }
                    lastWasSpace = true
                    i += 1
                    continue
                }
                let (value, width) = scalar(at: i, in: bytes)
                let isSpace = isWhiteSpace(value)
                // Control characters (a BEL, a NUL, C1 codes from a mis-decoded page) are never text.
                let dropped = isInvisible(value) || (!isSpace && (value < 0x20 || (0x7F...0x9F).contains(value)))
                if dropped || isSpace {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[kept..<i]))
                    kept = i + width
                    if isSpace && !lastWasSpace { out.append(0x20); mixed.add(0x20) }
                    if !dropped { lastWasSpace = true }
                } else {
                    for k in i..<(i + width) { mixed.add(bytes[k]) }
                    lastWasSpace = false
                }
                i += width
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[kept...]))
        }
        if out.last == 0x20 { out.removeLast() }
        let result = String(decoding: out, as: UTF8.self)
        return mixed.found ? Confusables.foldMixedScriptWords(result) : result
    }

    enum ASCIISpacing { case clean, collapse, notASCII }

    /// Whether the text is printable ASCII and spaces, and if so whether any space is doubled, leading or trailing.
    static func asciiSpacing(_ text: String) -> ASCIISpacing {
        var text = text
        return text.withUTF8 { bytes in
            var lastWasSpace = true
            var collapse = false
            for b in bytes {
                if b == 0x20 {
                    if lastWasSpace { collapse = true }
                    lastWasSpace = true
                } else if b >= 0x21 && b < 0x7F {
                    lastWasSpace = false
                } else {
                    return .notASCII
                }
            }
            return collapse || (lastWasSpace && !bytes.isEmpty) ? .collapse : .clean
        }
    }

    /// The scalar of valid UTF-8 that starts at `i`, and its length in bytes.
    @inline(__always)
    static func scalar(at i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (value: UInt32, width: Int) {
        let lead = bytes[i]
        let width = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        var value = UInt32(width == 1 ? lead : width == 2 ? lead & 0x1F : width == 3 ? lead & 0x0F : lead & 0x07)
        for k in 1..<width { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
        return (value, width)
    }

    /// NFC of the text, with Foundation asked only for the stretches that may change: each run of scalars
    /// that are not `isComposed`, with the scalar before it (which they may compose with). Text may be
    /// cut before any `isComposed` scalar: it never combines with what precedes it, so the parts'
    /// NFC forms joined are the whole's. A paragraph with one accented word no longer goes whole through
    /// Foundation (a tenth of an ingest's time on a multilingual corpus).
    static func composedInParts(_ text: String) -> String {
        var text = text
        let composed: String? = text.withUTF8 { bytes in
            // The parts: (start of the scalar before the run, or the run's start; end of the run).
            var parts: [Range<Int>] = []
            var previous: Int?  // the last composed scalar's start (never inside a part: parts end before one)
            var runStart: Int?
            var i = 0
            while i < bytes.count {
                // ASCII is composed: most of a paragraph is skipped a byte at a time.
                if bytes[i] < 0x80 {
                    if let start = runStart { parts.append(start..<i); runStart = nil }
                    previous = i
                    i += 1
                    continue
                }
                let (value, width) = scalar(at: i, in: bytes)
                if isComposed(value) {
                    if let start = runStart { parts.append(start..<i); runStart = nil }
                    previous = i
                } else if runStart == nil {
                    runStart = previous ?? i
                }
                i += width
            }
            if let start = runStart { parts.append(start..<bytes.count) }
            // Nothing to compose: the text is returned as it came, not copied.
            guard !parts.isEmpty else { return nil }
            var result = ""
            result.reserveCapacity(bytes.count + 16)
            var copied = 0
            for part in parts {
                result += String(decoding: UnsafeBufferPointer(rebasing: bytes[copied..<part.lowerBound]), as: UTF8.self)
                result += String(decoding: UnsafeBufferPointer(rebasing: bytes[part]), as: UTF8.self).precomposedStringWithCanonicalMapping
                copied = part.upperBound
            }
            result += String(decoding: UnsafeBufferPointer(rebasing: bytes[copied...]), as: UTF8.self)
            return result
        }
        return composed ?? text
    }

    /// Unicode's White_Space property, as a switch: asking `Unicode.Scalar.Properties` for every scalar was
    /// a tenth of an ingest's time.
    static func isWhiteSpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// True for a scalar that NFC leaves alone wherever it stands: no combining class, no decomposition,
    /// never the second half of a composition (checked against Foundation's Unicode data in `TextFastPathTests`).
    /// Latin, Greek, Cyrillic, Hebrew and Arabic letters, Thai, kana, CJK, Hangul syllables, punctuation,
    /// arrows, box drawing and emoji: the text of most pages is, and needs no Foundation round trip.
    static func isComposed(_ value: UInt32) -> Bool {
        switch value {
        case 0...0x2FF, 0x370...0x373, 0x375...0x37D, 0x37F...0x386, 0x388...0x3FF, 0x400...0x482, 0x48A...0x52F,
             0x5D0...0x5EA, 0x621...0x64A, 0xE01...0xE37, 0x2010...0x20CF, 0x2190...0x2328, 0x232B...0x23FF,
             0x2500...0x27BF, 0x3001...0x3029, 0x3030...0x3098, 0x309B...0x30FF, 0x4E00...0x9FFF, 0xAC00...0xD7A3,
             0xFF00...0xFFEF, 0x1F300...0x1FAFF:
            return true
        default:
            return false
        }
    }
}

/// Folds letters of one script that pose as another inside a word: "Defenсe" written with a Cyrillic "с"
/// becomes all-Latin. A word is folded towards the script most of its letters are in; words wholly in
/// one script are left alone, so real Cyrillic or Greek text is untouched.
public enum Confusables {
    static let cyrillicToLatin: [Unicode.Scalar: Unicode.Scalar] = [
        "а": "a", "в": "b", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
        "о": "o", "р": "p", "ѕ": "s", "т": "t", "х": "x", "у": "y", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y",
        "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K", "М": "M", "О": "O",
        "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y",
    ]
    static let greekToLatin: [Unicode.Scalar: Unicode.Scalar] = [
        "ο": "o", "ν": "v", "ι": "i", "κ": "k", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I",
        "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    ]
    static let latinToCyrillic: [Unicode.Scalar: Unicode.Scalar] = {
        var map: [Unicode.Scalar: Unicode.Scalar] = [:]
        for (cyrillic, latin) in cyrillicToLatin where map[latin] == nil && !"hkmtby".unicodeScalars.contains(latin) {
            map[latin] = cyrillic
        }
        return map
    }()

    enum Script { case latin, cyrillic, greek, other }

    static func script(_ s: Unicode.Scalar) -> Script {
        switch s.value {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F: return .latin
        case 0x400...0x52F: return .cyrillic
        case 0x370...0x3FF: return .greek
        default: return .other
        }
    }

    /// True when a run of bytes between ASCII non-letters holds both a Latin letter and a Greek or Cyrillic
    /// lead byte: only there can a word mix scripts. Real Greek or Cyrillic text seldom has one, and the
    /// exact pass over scalar properties costs a fifth of cleaning such a text.
    static func hasMixedToken(_ text: String) -> Bool {
        var scan = MixedScriptScan()
        for b in text.utf8 {
            scan.add(b)
            if scan.found { return true }
        }
        return false
    }

    public static func foldMixedScriptWords(_ text: String) -> String {
        // Fast path: without a Greek or Cyrillic letter (UTF-8 lead bytes 0xCD to 0xD4) there is nothing to fold.
        if !text.utf8.contains(where: { $0 >= 0xCD && $0 <= 0xD4 }) || !hasMixedToken(text) { return text }
        var out = String.UnicodeScalarView()
        var word: [Unicode.Scalar] = []
        func flush() {
            defer { word.removeAll(keepingCapacity: true) }
            var latin = 0, cyrillic = 0, greek = 0
            for s in word {
                switch script(s) {
                case .latin: latin += 1
                case .cyrillic: cyrillic += 1
                case .greek: greek += 1
                case .other: break
                }
            }
            let scripts = (latin > 0 ? 1 : 0) + (cyrillic > 0 ? 1 : 0) + (greek > 0 ? 1 : 0)
            guard scripts > 1 else { out.append(contentsOf: word); return }
            if latin >= cyrillic + greek {
                out.append(contentsOf: word.map { cyrillicToLatin[$0] ?? greekToLatin[$0] ?? $0 })
            } else if cyrillic > latin {
                out.append(contentsOf: word.map { script($0) == .latin ? (latinToCyrillic[$0] ?? $0) : $0 })
            } else {
                out.append(contentsOf: word)
            }
        }
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic { word.append(scalar) } else { flush(); out.append(scalar) }
        }
        flush()
        return String(out)
    }
}

/// `Confusables.hasMixedToken` a byte at a time, for a pass that reads the bytes anyway.
struct MixedScriptScan {
    private var latin = false, other = false
    private(set) var found = false

    @inline(__always)
    mutating func add(_ b: UInt8) {
        switch b {
        case 0x41...0x5A, 0x61...0x7A, 0xC3...0xC9: latin = true  // ASCII letters, U+00C0 to U+024F
        case 0xCD...0xD4: other = true  // U+0340 to U+052F: Greek and Cyrillic
        case 0x80...0xFF: break  // other lead and continuation bytes stay in the run
        default: latin = false; other = false  // an ASCII non-letter ends the run
        }
        if latin && other { found = true }
    }
}
