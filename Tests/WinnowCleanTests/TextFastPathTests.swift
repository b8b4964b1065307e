import Foundation
import Testing
@testable import WinnowClean
import WinnowTestSupport

/// The byte-level fast paths of text cleaning give exactly what the plain definitions give.
@Suite struct TextFastPathTests {
    /// `isComposed` is what NFC's data says: every such scalar is NFC alone, has combining class 0, and is
    /// never the second half of a canonical decomposition (so nothing before it composes with it).
    @Test func composedScalarsAreStableForNFC() {
        var seconds = Set<UInt32>()
        for value in UInt32(0)...0x2FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let decomposed = Array(String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars)
            for later in decomposed.dropFirst() { seconds.insert(later.value) }
        }
        var wrong: [String] = []
        for value in UInt32(0)...0x2FFFF where TextNormalizer.isComposed(value) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let alone = String(scalar)
            if alone.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(alone.unicodeScalars) == false
                || scalar.properties.canonicalCombiningClass != .notReordered || seconds.contains(value) {
                wrong.append(String(value, radix: 16))
            }
        }
        #expect(wrong.isEmpty, "scalars isComposed wrongly accepts: \(wrong.prefix(20))")
    }

    /// What `normalizeParagraph` did before its fast paths: Foundation's NFC of the whole text, then
    /// Unicode's properties scalar by scalar.
    static func reference(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var lastWasSpace = true
        for scalar in text.precomposedStringWithCanonicalMapping.unicodeScalars {
            if ["\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{00AD}"].contains(scalar) { continue }
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

    @Test func normalizedParagraphsMatchThePlainDefinition() {
        // Pieces a real page mixes: Latin with accents precomposed and decomposed, Cyrillic and Greek
        // (with look-alikes inside Latin words), Hangul syllables and jamo, Devanagari and Thai with their
        // marks, kana with voicing marks, CJK, emoji, every kind of space and invisible character, controls.
        let pieces = ["news", "Café", "Cafe\u{301}", "e\u{301}\u{327}", "o\u{308}\u{304}", "Москва", "Defenсe", "αβγ",
                      "Ελλάδα", "ά", "\u{1100}\u{1161}\u{11A8}", "한국", "\u{D55C}\u{11AB}", "हिन्दी", "क़", "ไทย", "\u{E01}\u{E48}",
                      "\u{304B}\u{3099}", "が", "漢字", "😀", "👍🏽", " ", "  ", "\t", "\u{A0}", "\u{2003}", "\u{3000}", "\u{200B}",
                      "\u{AD}", "\u{FEFF}", "\u{85}", "\u{7}", "\u{0}", "\u{9B}", "Ω", "\u{2126}", "\u{212B}", "Å", "\u{387}",
                      ";", "\u{37E}", "ﬁ", "½", "—", "“quoted”", "\u{0338}", "=\u{338}", "<\u{338}", "x\u{20D7}"]
        var random = SplitMix.forTest(seed: 20261203)
        for _ in 0..<3000 {
            let text = (0..<(1 + random.nextInt() % 12)).map { _ in pieces[random.nextInt() % pieces.count] }.joined()
            let fast = TextNormalizer.normalizeParagraph(text)
            let plain = Self.reference(text)
            #expect(fast.unicodeScalars.elementsEqual(plain.unicodeScalars),
                    "\(random): \(text.unicodeScalars.map { String($0.value, radix: 16) }) gave \(fast.debugDescription), not \(plain.debugDescription)")
            if !fast.unicodeScalars.elementsEqual(plain.unicodeScalars) { return }
        }
    }

    @Test func linesSplitAsCharactersDo() {
        var random = SplitMix.forTest(seed: 7)
        let pieces = ["word", "\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}", "é", "\n\n", " ", "\u{301}"]
        for _ in 0..<2000 {
            let text = (0..<(random.nextInt() % 10)).map { _ in pieces[random.nextInt() % pieces.count] }.joined()
            let expected = text.split(whereSeparator: \.isNewline).map(String.init)
            #expect(Cleaner.lines(of: text) == expected, "\(random): \(text.debugDescription)")
        }
    }

    @Test func htmlIsRecognizedInAnyCaseWithinTheHead() {
        #expect(Cleaner.looksLikeHTML("<!DOCTYPE HTML><title>x</title>"))
        #expect(Cleaner.looksLikeHTML("Some text <P>then a paragraph"))
        #expect(Cleaner.looksLikeHTML("ü<Br/>"))
        #expect(!Cleaner.looksLikeHTML("a < b and c > d; <pre> is not a marker"))
        #expect(!Cleaner.looksLikeHTML(String(repeating: "é", count: 4096) + "<div>"))  // beyond the first 4,096 characters
        #expect(Cleaner.looksLikeHTML(String(repeating: "é", count: 4090) + "<div>"))
        // From bytes: the first 4,096 of them, as a file's head read as text.
        func bytes(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { Cleaner.looksLikeHTML(bytes: $0) } }
        #expect(bytes("<!DOCTYPE HTML><title>x</title>") && bytes(String(repeating: "x", count: 4091) + "<div>"))
        #expect(!bytes(String(repeating: "x", count: 4093) + "<div>") && !bytes("") && !bytes("a < b"))
    }

    @Test func paragraphsSplitAsFoundationSplits() {
        var random = SplitMix.forTest(seed: 11)
        let pieces = ["a", "\n", "\n\n", "\n\n\n", "bé", " "]
        for _ in 0..<2000 {
            let text = (0..<(random.nextInt() % 10)).map { _ in pieces[random.nextInt() % pieces.count] }.joined()
            #expect(LearnedBoilerplate.paragraphs(of: text) == text.components(separatedBy: "\n\n"), "\(random): \(text.debugDescription)")
        }
    }

    /// The document check's count of invalid UTF-8 bytes, as Swift's own decoder judges each sequence (what
    /// the table-driven check replaced): random bytes weighted towards lead and continuation bytes, every kind of
    /// truncated, overlong and surrogate sequence among them.
    @Test func invalidUTF8CountMatchesTheDecoder() {
        func reference(_ bytes: [UInt8]) -> Double {
            var invalid = 0
            var i = 0
            while i < bytes.count {
                if bytes[i] < 0x80 { i += 1; continue }
                var decoder = UTF8()
                var iterator = bytes[i..<min(bytes.count, i + 4)].makeIterator()
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): i += UTF8.width(scalar)
                case .emptyInput: i = bytes.count
                case .error: invalid += 1; i += 1
                }
            }
            return bytes.isEmpty ? 0 : Double(invalid) / Double(bytes.count)
        }
        var random = SplitMix.forTest(seed: 2026)
        let interesting: [UInt8] = [0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                    0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<(random.nextInt() % 12)).map { _ in
                random.nextInt() % 3 == 0 ? UInt8(truncatingIfNeeded: random.nextInt()) : interesting[random.nextInt() % interesting.count]
            }
            let fast = bytes.withUnsafeBufferPointer { bytes in
                bytes.isEmpty ? 0 : Double(DocumentCheck.census(bytes).invalid) / Double(bytes.count)
            }
            #expect(fast == reference(bytes), "\(random): \(bytes.map { String($0, radix: 16) })")
            if fast != reference(bytes) { return }
        }
    }

    /// `UTF8Validation.isValid` accepts exactly what `String(validating:)` accepts: overlong forms,
    /// surrogates, code points past U+10FFFF and cut-off sequences are refused, also after a run of ASCII.
    @Test func utf8ValidationAgreesWithTheStandardLibrary() {
        var random = SplitMix.forTest(seed: 19)
        let interesting: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
                                    0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let ascii = [UInt8](repeating: 0x61, count: random.nextInt() % 12)
            let bytes = ascii + (0..<(random.nextInt() % 6)).map { _ in interesting[random.nextInt() % interesting.count] }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) } == expected, "\(bytes)")
        }
    }
}
