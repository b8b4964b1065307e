import Foundation

/// User plus system CPU seconds a process has used so far (/proc/PID/stat fields 14 and 15); 0 when
/// the process is gone.
public func cpuSeconds(ofProcess pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return Double((Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
