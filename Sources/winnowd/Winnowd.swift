import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import WinnowPipeline

@main
struct Winnowd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "winnowd",
        abstract: "Polls news feeds, cleans the articles, finds near-duplicates and stores them in SQLite.")

    @Option(name: .long, help: "The pipeline configuration file.")
    var config = "pipeline.json"

    @Flag(name: .long, help: "Poll every feed once, push the items through all stages, and exit.")
    var once = false

    func run() async throws {
        let configuration: PipelineConfiguration
        do {
            configuration = try PipelineConfiguration.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("winnowd: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        let sink = try LogSink(folder: configuration.logFolder)
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level, sink: sink) }
        let logger = Logger(label: "winnowd")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let notifier = SystemdNotifier()
        var service: PipelineService?
        var waitingFor: String?
        while service == nil {
            do {
                service = try PipelineService(configuration: configuration, once: once, logger: logger, notifier: notifier)
            } catch {
                guard !once, let reason = PipelineService.storageTrouble(in: error) else {
                    logger.critical("cannot start", metadata: ["error": "\(error)"])
                    throw ExitCode(1)
                }
                // A full disk or a read-only file system passes; exiting would put systemd into a restart
                // loop that ends in giving up. Wait, say why, and keep systemd's watchdog fed.
                if reason != waitingFor {
                    logger.error("cannot open the database for writing; waiting for it (retried every 5 s)", metadata: [
                        "reason": "\(reason)", "database": "\(configuration.databasePath)", "error": "\(error)",
                    ])
                    waitingFor = reason
                }
                notifier?.send("READY=1\nSTATUS=waiting for the database: \(reason)")
                notifier?.send("WATCHDOG=1")
                try await Task.sleep(for: .seconds(5))
            }
        }
        if waitingFor != nil { logger.notice("the database can be written; starting") }
        guard let service else { return }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let path = configuration.metricsTextfile {
            services.append(.init(service: MetricsTextfile(registry: registry, path: path)))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past this bound the drain is cut short: tasks are cancelled, and every stage transaction is
        // still either committed or not begun.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownTimeout * 1000))
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }
}
