import Foundation

// libFuzzer target for the HTML sanitizer (built into the WinnowFeeds module by fuzz/run.sh). The feed
// target never reaches it (FeedParser.parse keeps HTML as received), so it gets its own: any bytes,
// read as HTML and as XHTML, with and without a base, sanitize without a crash (what comes out is
// judged by the seeded property test in HTMLSanitizerTests, which reads tags the way a browser does).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSanitizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let html = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for (base, xhtml) in [("", false), ("http://127.0.0.1/a/b.html", false), ("http://127.0.0.1/", true)] {
        _ = HTMLSanitizer.sanitize(html, baseURL: base, xhtml: xhtml)
    }
    return 0
}
