import Foundation

/// Normalization of stored text: faithful to what was written, minus invisible and deceptive characters.
public enum TextNormalizer {
    /// Zero-width characters and the soft hyphen, which only ever hide differences.
    static let invisible: Set<Unicode.Scalar> = ["\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00AD}"]

    /// True when the text holds what only a pass over its scalars handles: characters that NFC may change
    /// (U+0300 and up, but for general punctuation), invisible characters, white space beyond ASCII and the
    /// no-break space. Most text, curly quotes and accented Latin letters included, holds none.
    static func needsScalarPass(_ text: String) -> Bool {
        var utf8 = text.utf8.makeIterator()
        while let b = utf8.next() {
            // Control characters (other than the white space collapsed anyway) go in the scalar pass.
            if b < 0x20 { if b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { return true }; continue }
            if b == 0x7F { return true }
            guard b >= 0xC2 else { continue }
            if b == 0xC2 {
                let next = utf8.next() ?? 0
                if next == 0xAD || next <= 0x9F { return true }  // soft hyphen, C1 controls (next line among them)
            } else if b == 0xE2 {
                let second = utf8.next() ?? 0
                let third = utf8.next() ?? 0
                // U+2000 to U+206F: the punctuation is NFC as it stands; spaces and invisible ones are not plain.
                if second == 0x80 && (third <= 0x8F || third == 0xA8 || third == 0xA9 || third == 0xAF) { return true }
                if second == 0x81 && (third == 0x9F || third >= 0xA0) { return true }
                if second > 0x81 { return true }
            } else if b >= 0xCC {
                return true  // U+0300 and up outside general punctuation
            }
        }
        return false
    }

    /// NFC, invisible and control characters removed, look-alike letters folded to their word's script, spaces collapsed.
    public static func normalizeParagraph(_ text: String) -> String {
        // Fast path: ASCII text is already NFC and holds no invisible or look-alike letters.
        if text.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7F || $0 == 0x20 }) {
            return ArticleExtractor.collapseSpaces(text)
        }
        if !needsScalarPass(text) { return Confusables.foldMixedScriptWords(ArticleExtractor.collapseSpaces(text)) }
        // Letters below U+0300 and general punctuation (curly quotes, dashes) are NFC as they stand: most
        // text needs no Foundation round trip.
        let needsNFC = text.unicodeScalars.contains { $0.value >= 0x300 && !(0x2010...0x20CF).contains($0.value) }
        let composed = needsNFC ? text.precomposedStringWithCanonicalMapping : text
        var scalars = String.UnicodeScalarView()
        var lastWasSpace = true
        for scalar in composed.unicodeScalars where !invisible.contains(scalar) {
            // Control characters (a BEL, a NUL, C1 codes from a mis-decoded page) are never text.
            if scalar.properties.generalCategory == .control && !scalar.properties.isWhitespace { continue }
            let isSpace = scalar.properties.isWhitespace
            if isSpace {
                if !lastWasSpace { scalars.append(" ") }
            } else {
                scalars.append(scalar)
            }
            lastWasSpace = isSpace
        }
        var result = String(scalars)
        if result.last == " " { result.removeLast() }
        return Confusables.foldMixedScriptWords(result)
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

    public static func foldMixedScriptWords(_ text: String) -> String {
        // Fast path: without a Greek or Cyrillic letter (UTF-8 lead bytes 0xCD to 0xD4) there is nothing to fold.
        if !text.utf8.contains(where: { $0 >= 0xCD && $0 <= 0xD4 }) { return text }
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
