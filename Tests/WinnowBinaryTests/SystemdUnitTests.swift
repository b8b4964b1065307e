import Foundation
import Testing
import WinnowTestSupport

/// The shipped unit, checked by systemd's own tools.
@Suite struct SystemdUnitTests {
    static let analyze = URL(fileURLWithPath: "/usr/bin/systemd-analyze")

    /// The shipped unit with ExecStart pointing at the freshly built binary (verify checks it exists).
    func unitForThisBuild() throws -> URL {
        let shipped = try String(contentsOf: TestPaths.repository.appendingPathComponent("systemd/winnowd.service"), encoding: .utf8)
        #expect(shipped.contains("ExecStart=/usr/local/bin/winnowd --config /etc/winnow/pipeline.json"))
        let folder = try TestPaths.temporaryFolder()
        let unit = folder.appendingPathComponent("winnowd.service")
        try shipped.replacingOccurrences(of: "/usr/local/bin/winnowd", with: try TestPaths.binary("winnowd").path)
            .write(to: unit, atomically: true, encoding: .utf8)
        return unit
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze.path), "systemd-analyze is not installed"))
    func verifyPrintsNothing() async throws {
        let unit = try unitForThisBuild()
        defer { try? FileManager.default.removeItem(at: unit.deletingLastPathComponent()) }
        // systemd-analyze verify exits 0 even on unknown keys: any output at all is a failure.
        let run = try await runProcess(Self.analyze, ["verify", unit.path])
        #expect(run.stdout + run.stderr == "")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze.path), "systemd-analyze is not installed"))
    func securityExposureIsAtMostTwo() async throws {
        let unit = try unitForThisBuild()
        defer { try? FileManager.default.removeItem(at: unit.deletingLastPathComponent()) }
        let run = try await runProcess(Self.analyze, ["security", "--offline=true", unit.path])
        let output = run.stdout + run.stderr
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(output)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
        #expect(score <= 2.0, "\(line)")
    }

    @Test func unitHasWhatAServiceNeeds() throws {
        let unit = try String(contentsOf: TestPaths.repository.appendingPathComponent("systemd/winnowd.service"), encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "StateDirectory=winnow", "LogsDirectory=winnow",
                     "RuntimeDirectory=winnow", "DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                     "NoNewPrivileges=yes", "CapabilityBoundingSet=", "RestrictAddressFamilies=", "SystemCallFilter=", "ExecReload="] {
            #expect(unit.contains("\n" + line), "\(line)")
        }
    }
}
