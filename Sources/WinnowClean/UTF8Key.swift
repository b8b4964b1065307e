import Foundation

/// A normalized string as a hash key by its UTF-8 bytes. String's own hashing normalizes non-ASCII text
/// to NFC on every hash, a tenth of cleaning a non-Latin text; text the cleaner has normalized is NFC
/// already, so equal bytes are exactly equal strings.
struct UTF8Key: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: UTF8Key, b: UTF8Key) -> Bool {
        var a = a.text, b = b.text
        return a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) } }
    }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
