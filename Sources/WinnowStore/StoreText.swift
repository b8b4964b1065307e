import Foundation

/// Text as both stores write it: without NUL characters, and blobs as PostgreSQL's bytea text input
/// (what `MigrationBatch` carries and the PostgreSQL store sends). One place, so the SQLite store, the
/// migration and the PostgreSQL store cannot drift apart.
public enum StoreText {
    /// `text` without NUL characters. Strings are bound as C strings, so a NUL a feed sends would cut
    /// everything after it (and PostgreSQL's text type cannot hold one); a NUL carries nothing, so
    /// dropping it loses nothing.
    public static func withoutNUL(_ text: String) -> String {
        // memchr, not `utf8.contains`: every stored text is checked, and the generic byte-by-byte walk
        // was 4% of the writer thread's time in an ingest.
        let hasNUL = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.count > 0 && memchr(bytes.baseAddress!, 0, bytes.count) != nil
        } ?? text.utf8.contains(0)
        guard hasNUL else { return text }
        return String(decoding: text.utf8.filter { $0 != 0 }, as: UTF8.self)
    }

    /// A MinHash signature as both stores keep it: little-endian 32-bit values (the hasher's values fit
    /// 32 bits; see `MinHasher.signature(shingles:)`).
    public static func signatureBytes(_ signature: [UInt64]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: signature.count * 4) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for (i, value) in signature.enumerated() {
                raw.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
            count = signature.count * 4
        }
    }

    /// The signature `signatureBytes` wrote.
    public static func signature(from bytes: some ContiguousBytes) -> [UInt64] {
        bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// `\x` and hex digits: bytea's text input.
    public static func bytea(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\")
        out[1] = UInt8(ascii: "x")
        for (i, byte) in bytes.enumerated() {
            out[2 + 2 * i] = digits[Int(byte >> 4)]
            out[3 + 2 * i] = digits[Int(byte & 15)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
