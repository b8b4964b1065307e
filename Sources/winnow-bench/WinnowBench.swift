import ArgumentParser
import Foundation
import WinnowTestSupport

@main
struct WinnowBench: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "winnow-bench",
        abstract: "Winnow's benchmarks. Build with -c release; bench/*/run.sh runs each with its corpus and peers.",
        subcommands: [CrashHarness.self, DedupBench.self, ExportBench.self, Soak.self, DedupScaleBench.self, ExtractBench.self, FeedBench.self, PollCycleBench.self, StatusBench.self])
}

/// Starts `binary` (winnowd) in `folder` with its output discarded (its log file holds the same lines).
/// It dies with this process (`ChildProcesses`): a harness or benchmark that crashes or is killed
/// (`make test` runs the crash harness) leaves no winnowd running with no one to stop it.
func launch(_ binary: String, _ arguments: [String], in folder: URL) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.currentDirectoryURL = folder
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try ChildProcesses.launch(process)
    return process
}

/// An RSS feed of items `range` of feed `source`, distinct synthetic articles; when `republisher` is not
/// `source`, it is that feed republishing them, each under a standfirst of its own and a "copy:" guid,
/// so the copies are near-duplicates of the originals, not exact ones.
func articleFeed(_ republisher: Int, of source: Int, items range: Range<Int>) -> String {
    let copy = republisher != source
    var out = #"<?xml version="1.0"?><rss version="2.0"><channel><title>Feed \#(republisher)</title>"#
    for i in range {
        var random = SplitMix(seed: UInt64(source) &* 1_000_003 &+ UInt64(i))
        let words = (0..<150).map { _ in "w\(random.next() % 60_000)" }.joined(separator: " ")
        let lead = copy ? "&lt;p&gt;Republished from feed \(source) with the permission of its editors.&lt;/p&gt;" : ""
        out += "<item><guid>\(copy ? "copy:" : "")feed\(source)-item\(i)</guid><title>Item \(i) of feed \(source)</title>"
            + "<link>https://feed\(republisher).example/\(i)</link><description>\(lead)&lt;p&gt;\(words).&lt;/p&gt;</description></item>"
    }
    return out + "</channel></rss>"
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
