import Foundation

// libFuzzer target for the control-socket request reader (built into the module with ControlServer.swift
// by fuzz/run.sh): any bytes, arriving in any chunks, give requests, malformed lines or one "too long"
// that ends the connection; never a crash, never a line over the bound.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControl(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte picks the chunk size the bytes arrive in, as recv would hand them over.
    let chunk = Int(bytes[0]) + 1
    let maxLine = 256
    var reader = ControlLineReader(maxLineBytes: maxLine)
    var lines: [ControlLineReader.Line] = []
    var offset = 1
    while offset < bytes.count {
        let part = bytes[offset..<min(offset + chunk, bytes.count)]
        offset += part.count
        lines += reader.read(part)
        if lines.last == .tooLong { break }
    }
    let newlines = bytes.dropFirst().filter { $0 == 0x0A }.count
    precondition(lines.count <= newlines + 1, "more lines than newlines")
    precondition(lines.dropLast().allSatisfy { $0 != .tooLong }, "reading went on after a line too long")
    for case .request(let request) in lines { precondition(request.command.utf8.count <= maxLine, "a request longer than the bound") }
    return 0
}
