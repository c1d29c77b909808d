import FlotillaCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A reading of a process's CPU time.
struct CPUSample: Sendable {
    var cpuSeconds: Double
    var at: ContinuousClock.Instant
}

extension QEMUBackend {
    /// Usage read from the system: CPU time and resident memory of the QEMU process (`/proc/<pid>`), the
    /// allocated size of the instance's disk, and network counters of its tap when it has one.
    ///
    /// CPU: the share of one core used since the previous reading (or since QEMU started, the first time).
    /// Memory: QEMU's resident set, capped at the guest's memory (QEMU's own overhead is not guest memory).
    public func usage(id: String) async throws -> InstanceUsage {
        try await ensureLoaded()
        let vm = try existing(id)
        let limit = vm.record.spec.resources.memoryBytes
        var cpuPercent = 0.0
        var rss: Int64 = 0
        if let process = vm.process, process.isRunning, let cpu = Self.cpuSeconds(pid: process.pid) {
            let now = ContinuousClock.now
            if let previous = vm.cpuSample, now > previous.at {
                let wall = (now - previous.at) / .seconds(1)
                cpuPercent = max(0, (cpu - previous.cpuSeconds) / wall * 100)
            } else if let uptime = Self.processUptime(pid: process.pid), uptime > 0 {
                cpuPercent = max(0, cpu / uptime * 100)
            }
            vms[id]?.cpuSample = CPUSample(cpuSeconds: cpu, at: now)
            rss = Self.residentBytes(pid: process.pid)
        }
        var storageUsed: Int64 = 0
        if vm.record.hasDisk, let attributes = try? FileManager.default.attributesOfItem(atPath: vm.files.overlay) {
            var st = stat()
            if stat(vm.files.overlay, &st) == 0 {
                storageUsed = Int64(st.st_blocks) * 512
            } else {
                storageUsed = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        return InstanceUsage(
            cpuPercent: cpuPercent, cpuCores: cpuPercent / 100, memoryUsedBytes: min(rss, limit), memoryLimitBytes: limit,
            storageUsedBytes: storageUsed, storageTotalBytes: vm.record.hasDisk ? max(vm.record.diskBytes, storageUsed) : 0,
            networkRxBytes: 0, networkTxBytes: 0, observedAt: Date())
    }

    /// utime + stime of a process, in seconds.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let fields = statFields(pid: pid), fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12])
        else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Seconds since the process started.
    static func processUptime(pid: Int32) -> Double? {
        guard let fields = statFields(pid: pid), fields.count > 19, let start = Double(fields[19]),
            let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
            let uptime = Double(uptimeText.split(separator: " ").first ?? "")
        else { return nil }
        return uptime - start / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The fields of /proc/<pid>/stat after the command name (field 3 is index 0).
    static func statFields(pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    static func residentBytes(pid: Int32) -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? 0
            return kb * 1024
        }
        return 0
    }
}
