import Foundation

/// The aggressive form of a text that matching compares: NFKC, case-folded, look-alike letters folded,
/// punctuation, symbols and zero-width characters dropped, words separated by single spaces.
/// Never stored as the article; only hashed.
public enum MatchingKey {
    public static func words(_ text: String) -> [Substring] {
        key(text).split(separator: " ")
    }

    public static func key(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.folding(options: [.caseInsensitive], locale: nil)
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            let p = scalar.properties
            if p.isAlphabetic || p.numericType != nil {
                if pendingSpace, !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(latinLookalike[scalar] ?? scalar)
            } else if p.isWhitespace || p.generalCategory == .dashPunctuation {
                pendingSpace = true
            }
            // Other punctuation, symbols and format characters (zero-width) vanish without a break,
            // so "don't" and "don’t" give the same word.
        }
        return String(out)
    }

    /// Lower-case Cyrillic and Greek letters that look like Latin ones. Folding them everywhere (not only
    /// inside mixed words) is safe here because the key is only compared, never shown.
    static let latinLookalike: [Unicode.Scalar: Unicode.Scalar] = [
        "а": "a", "с": "c", "е": "e", "о": "o", "р": "p", "х": "x", "у": "y", "і": "i", "ј": "j", "ѕ": "s",
        "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ο": "o", "ν": "v",
    ]
}
