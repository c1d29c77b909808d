import Foundation

/// What a benchmark's figures were measured on: the date (UTC), the machine and how loaded it was.
enum BenchMachine {
    /// One line: date, host name, cores, memory, kernel and the load average now.
    static func describe() -> String {
        let info = ProcessInfo.processInfo
        let kernel =
            (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown kernel"
        return "run \(ISO8601DateFormatter().string(from: Date())) on \(info.hostName): \(info.activeProcessorCount) cores, "
            + "\(info.physicalMemory >> 30) GiB, kernel \(kernel); load at the start: \(loadAverage())"
    }

    /// The 1, 5 and 15 minute load averages, as the kernel reports them.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
