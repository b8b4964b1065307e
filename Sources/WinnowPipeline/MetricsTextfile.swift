import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Prometheus
import ServiceLifecycle

/// Writes the metrics registry as a Prometheus textfile for node_exporter's textfile collector, every
/// `interval` seconds and once more at shutdown. Written to a temporary file and renamed, so the
/// collector never reads half a file.
public struct MetricsTextfile: Service {
    let registry: PrometheusCollectorRegistry
    let path: String
    let interval: Double

    public init(registry: PrometheusCollectorRegistry, path: String, interval: Double = 15) {
        self.registry = registry
        self.path = path
        self.interval = interval
    }

    public func run() async throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? self.write()
                try? await Task.sleep(for: .seconds(self.interval))
            }
        }
        // Metrics are a view, never a reason to fail the daemon: a failed write waits for the next one.
        try? write()
    }

    public func write() throws {
        let temporary = path + ".tmp"
        try Data(registry.emitToBuffer()).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
