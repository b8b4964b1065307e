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
        if !utf16, sample.count > 0, memchr(sample.baseAddress!, 0, sample.count) != nil { return "is binary (it holds NUL bytes)" }
        // Control characters other than tab, newline, carriage return and form feed, and bytes that are not
        // UTF-8 where UTF-8 is expected: a few happen in real pages, a tenth of the bytes does not.
        if !utf16 {
            var controls = 0
            for b in sample where b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C { controls += 1 }
            let invalid = invalidUTF8Share(sample)
            if Double(controls) > Double(sample.count) * 0.02 || invalid > 0.3 {
                return "is binary (mostly not text)"
            }
        }
        return nil
    }

    /// The share of bytes that are not part of a valid UTF-8 sequence (Latin-1 text has a few, binary many).
    public static func invalidUTF8Share(_ bytes: UnsafeBufferPointer<UInt8>) -> Double {
        // ASCII bytes are skipped a byte at a time; at each other byte the sequence it starts is checked
        // against UTF-8's table of well-formed sequences (Unicode's Table 3-7), as a decoder would judge it.
        var invalid = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let lead = bytes[i]
            if lead < 0x80 { i += 1; continue }
            // The second byte's range after each lead byte, and the sequence's length; nil: never a lead byte.
            let second: ClosedRange<UInt8>?
            let width: Int
            switch lead {
            case 0xC2...0xDF: second = 0x80...0xBF; width = 2
            case 0xE0: second = 0xA0...0xBF; width = 3
            case 0xE1...0xEC, 0xEE...0xEF: second = 0x80...0xBF; width = 3
            case 0xED: second = 0x80...0x9F; width = 3
            case 0xF0: second = 0x90...0xBF; width = 4
            case 0xF1...0xF3: second = 0x80...0xBF; width = 4
            case 0xF4: second = 0x80...0x8F; width = 4
            default: second = nil; width = 1
            }
            var valid = second != nil && i + width <= n && second!.contains(bytes[i + 1])
            if valid { for k in 2..<max(2, width) where bytes[i + k] & 0xC0 != 0x80 { valid = false } }
            if valid {
                i += width
            } else {
                invalid += 1
                i += 1
            }
        }
        return bytes.isEmpty ? 0 : Double(invalid) / Double(bytes.count)
    }
}
