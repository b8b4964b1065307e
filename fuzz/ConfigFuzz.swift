import Foundation
import WinnowPipeline

// libFuzzer target for the configuration loader (linked against the WinnowPipeline module, built with the
// sanitizers by fuzz/run.sh): any bytes give a configuration or a ConfigurationError that names a field
// path, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        let configuration = try PipelineConfiguration.parse(Data(bytes: data, count: size), configPath: "/etc/winnow/pipeline.json")
        // An empty feed list is allowed (feeds are added by a reload); every feed that is there is usable.
        precondition(Set(configuration.feeds.map(\.name)).count == configuration.feeds.count, "two feeds with one name were accepted")
        for feed in configuration.feeds {
            precondition(!feed.name.isEmpty && feed.interval > 0, "a feed without a name or interval was accepted")
            precondition(["http://", "https://", "file:"].contains { feed.url.lowercased().hasPrefix($0) }, "a feed URL that is neither http(s) nor file was accepted")
        }
    } catch let error as ConfigurationError {
        precondition(!"\(error)".isEmpty, "an empty configuration error")
    } catch {
        preconditionFailure("the loader threw something other than a ConfigurationError: \(error)")
    }
    return 0
}
