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
        abstract: "Polls news feeds, cleans the articles, finds near-duplicates and stores them in SQLite.",
        discussion: "Exit status: 0 stopped cleanly, 66 no configuration file, 69 the PostgreSQL database cannot be reached (--once), 74 a folder or file it must write cannot be written, 78 invalid configuration, 1 anything else.",
        version: WinnowVersion.string)

    @Option(name: .long, help: "The pipeline configuration file.")
    var config = "pipeline.json"

    @Flag(name: .long, help: "Poll every feed once, push the items through all stages, and exit.")
    var once = false

    func run() async throws {
        let configuration: PipelineConfiguration
        do {
            guard FileManager.default.fileExists(atPath: config) else {
                FileHandle.standardError.write(Data("winnowd: no configuration at \(config): pass --config FILE (see pipeline.json in the repository)\n".utf8))
                throw ExitCode(66)  // EX_NOINPUT
            }
            configuration = try PipelineConfiguration.load(path: config)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("winnowd: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        let sink: LogSink
        do {
            sink = try LogSink(folder: configuration.logFolder)
        } catch {
            FileHandle.standardError.write(Data("winnowd: config: logs.folder: cannot write the log in \(configuration.logFolder) (\(Self.reason(error))): make the folder writable by this user, or set logs.folder in \(configuration.configPath) to one that is\n".utf8))
            throw ExitCode(74)  // EX_IOERR
        }
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
                    if configuration.isPostgres {
                        // Not a file: no folder to make writable. The URL (without its password) and libpq's reason.
                        logger.critical("cannot start", metadata: ["error": "\(error)"])
                        FileHandle.standardError.write(Data("winnowd: config: database: \(error)\n".utf8))
                        throw ExitCode(69)  // EX_UNAVAILABLE
                    }
                    // Said on stderr as well, naming the setting: the log may be a file the user is not looking at.
                    let storage = PipelineService.storageTrouble(in: error) ?? (error is CocoaError ? Self.reason(error) : nil)
                    if let storage {
                        let message = "config: database: cannot open \(configuration.databasePath) for writing (\(storage)): make its folder writable by this user, or set database in \(configuration.configPath) to another path"
                        logger.critical("cannot start", metadata: ["error": "\(message)", "database": "\(configuration.databasePath)"])
                        FileHandle.standardError.write(Data("winnowd: \(message)\n".utf8))
                        throw ExitCode(74)  // EX_IOERR
                    }
                    logger.critical("cannot start", metadata: ["error": "\(error)"])
                    FileHandle.standardError.write(Data("winnowd: cannot start: \(error)\n".utf8))
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
        do {
            try await group.run()
        } catch let stopped as PipelineStopped {
            FileHandle.standardError.write(Data("winnowd: the pipeline stopped: \(stopped); the log has the details\n".utf8))
            throw ExitCode(stopped.reason == nil ? 70 : 74)  // EX_SOFTWARE; EX_IOERR when the database could not be written
        }
    }

    /// A file-system error in words, without Foundation's domain and code.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? CocoaError else { return "\(error)" }
        switch error.code {
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "the disk is full"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such folder"
        default:
            if let posix = error.underlying as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
            return "file system error \(error.code.rawValue)"
        }
    }
}
