import Foundation

/// Which documents are not text: cleaning a program or an image "succeeds" with garbage, and storing
/// it would make an article of it.
public enum DocumentCheck {
    /// Why `data` is not a text document, or nil when it is one.
    public static func refusal(_ data: Data) -> String? {
        data.withUnsafeBytes { raw in refusal(raw.bindMemory(to: UInt8.self)) }
    }

    public static func refusal(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return bytes.isEmpty ? "is empty" : "holds only white space"
        }
        let sample = UnsafeBufferPointer(rebasing: bytes[..<min(bytes.count, 65_536)])
        // UTF-16 text carries NUL bytes too; it starts with a byte-order mark.
        let utf16 = sample.starts(with: [0xFF, 0xFE]) || sample.starts(with: [0xFE, 0xFF])
        // Control characters other than tab, newline, carriage return and form feed, and bytes that are not
        // UTF-8 where UTF-8 is expected: a few happen in real pages, a tenth of the bytes does not.
        guard !utf16 else { return nil }
        let (nul, controls, invalid) = census(sample)
        if nul { return "is binary (it holds NUL bytes)" }
        if Double(controls) > Double(sample.count) * 0.02 || Double(invalid) / Double(sample.count) > 0.3 {
            return "is binary (mostly not text)"
        }
        return nil
    }

    /// One pass over the bytes: whether a NUL is among them, how many other control characters (not tab,
    /// newline, carriage return, form feed), and how many bytes are not part of a valid UTF-8 sequence.
    /// (Three passes, with a stdlib decoder at every non-ASCII byte, were a twentieth of cleaning a page.)
    public static func census(_ bytes: UnsafeBufferPointer<UInt8>) -> (nul: Bool, controls: Int, invalid: Int) {
        var nul = false, controls = 0, invalid = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b < 0x20 {
                    if b == 0 { nul = true }
                    if b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { controls += 1 }
                }
                i += 1
                continue
            }
            let width = UTF8Validation.sequenceWidth(bytes, at: i)
            if width == 0 { invalid += 1; i += 1 } else { i += width }
        }
        return (nul, controls, invalid)
    }
}
