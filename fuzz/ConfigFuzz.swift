import Foundation
import WinnowPipeline

// libFuzzer target for the configuration loader (linked against the WinnowPipeline module, built with the
// sanitizers by fuzz/run.sh): any bytes give a configuration or a ConfigurationError that names a field
// path, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        let configuration = try PipelineConfiguration.parse(Data(bytes: data, count: size), configPath: "/etc/winnow/pipeline.json")
        precondition(!configuration.feeds.isEmpty, "a configuration without feeds was accepted")
    } catch let error as ConfigurationError {
        precondition(!"\(error)".isEmpty, "an empty configuration error")
    } catch {
        preconditionFailure("the loader threw something other than a ConfigurationError: \(error)")
    }
    return 0
}
