import Foundation

// libFuzzer target for the feed parser (built into the WinnowFeeds module by fuzz/run.sh): any bytes
// give a feed or a FeedError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFeed(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    _ = try? FeedParser.parse(bytes, url: "http://127.0.0.1/feed.xml")
    return 0
}
