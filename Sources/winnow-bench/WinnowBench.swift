import ArgumentParser
import Foundation

@main
struct WinnowBench: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "winnow-bench",
        abstract: "Winnow's benchmarks. Build with -c release; bench/*/run.sh runs each with its corpus and peers.",
        subcommands: [CrashHarness.self, DedupBench.self, Soak.self, DedupScaleBench.self, ExtractBench.self, FeedBench.self, PollCycleBench.self, StatusBench.self])
}

/// Wall-clock seconds since `start`.
func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Peak and current resident memory of this process, in MB, from /proc/self/status.
func memoryMB() -> (peak: Double, current: Double) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    func field(_ name: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return (field("VmHWM"), field("VmRSS"))
}

func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

/// User and system CPU seconds of this process so far.
func cpuSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6,
            Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6)
}

/// Prints a line and flushes it, so figures appear as they are measured also when written to a file.
func print(_ line: String = "") {
    Swift.print(line)
    fflush(nil)
}
