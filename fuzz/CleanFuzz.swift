import Foundation

// libFuzzer target for the HTML parser and the cleaner (built into the WinnowClean module by fuzz/run.sh).
// Every input is cleaned as page bytes (explaining, so every removal path runs) and as text.
let fuzzCleaner = try! Cleaner()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClean(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let page = try? fuzzCleaner.clean(htmlBytes: bytes, explain: true) {
        // What comes out is normalized text: no control characters but newlines.
        precondition(!page.text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "control character in cleaned text")
    }
    _ = fuzzCleaner.clean(document: String(decoding: bytes, as: UTF8.self))
    return 0
}
