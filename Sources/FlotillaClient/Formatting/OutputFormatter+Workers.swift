import FlotillaAPI
import Foundation

/// The `table` output of `flotilla worker` and `flotilla cluster`.
extension OutputFormatter {
    /// ID, HOSTNAME, ZONE, STATUS, HEALTHY, CPU (used/total), MEMORY (used/total MB), VMS (count/max), UPTIME.
    public static func workerList(_ list: Workers.WorkerList) -> String {
        if list.workers.isEmpty { return "No workers.\n" }
        let rows = list.workers.map { w in
            [
                w.id, w.hostname, w.zone ?? "-", w.status, w.isHealthy ? "yes" : "no",
                "\(number(w.usedCpuCores))/\(number(w.cpuCores))", "\(w.usedMemoryMB)/\(w.memoryMB)",
                "\(w.vmCount)/\(w.maxVms)", w.uptime,
            ]
        }
        return TableRenderer(
            headers: ["ID", "HOSTNAME", "ZONE", "STATUS", "HEALTHY", "CPU", "MEMORY MB", "VMS", "UPTIME"], rows: rows
        ).render()
    }

    /// One worker as aligned `key: value` lines.
    public static func workerDetail(_ w: Workers.Worker) -> String {
        var pairs: [(String, String)] = [
            ("ID", w.id), ("Hostname", w.hostname), ("Address", w.address), ("Zone", w.zone ?? "-"),
            ("Status", w.status), ("Healthy", w.isHealthy ? "yes" : "no"),
            ("Capabilities", w.capabilities.joined(separator: ", ")),
            ("CPU", "\(number(w.usedCpuCores)) of \(number(w.cpuCores)) cores (\(number(w.cpuUsagePercent))%)"),
            ("Memory", "\(w.usedMemoryMB) of \(w.memoryMB) MB (\(number(w.memoryUsagePercent))%)"),
            ("Disk", "\(w.usedDiskGB) of \(w.diskGB) GB"),
            ("VMs", "\(w.vmCount) of \(w.maxVms)"),
            ("Started", timestamp(w.startedAt)), ("Last seen", w.lastSeen.map(timestamp) ?? "-"), ("Uptime", w.uptime),
        ]
        if !w.labels.isEmpty {
            pairs.append(("Labels", w.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))
        }
        return TableRenderer.keyValueLines(pairs)
    }

    /// The answer of drain and activate.
    public static func workerStatusChange(_ change: Workers.StatusChange) -> String {
        var text = "\(change.workerId): \(change.status). \(change.message)\n"
        if let moved = change.migrated, !moved.isEmpty { text += "Migrated: \(moved.joined(separator: ", "))\n" }
        if let left = change.notMigrated, !left.isEmpty { text += "Not migrated: \(left.joined(separator: ", "))\n" }
        return text + drainMoves(change.moves)
    }

    /// `flotilla cluster status`: the figures, then one line per worker with its instances.
    public static func clusterStatus(_ status: ClusterStatus) -> String {
        let s = status.stats
        var text = TableRenderer.keyValueLines([
            ("Workers", "\(s.totalWorkers) (\(s.activeWorkers) active, \(s.drainingWorkers) draining, \(s.offlineWorkers) offline)"),
            (
                "CPU",
                "\(number(s.usedCpuCores)) of \(number(s.totalCpuCores)) cores used (\(number(s.clusterCpuUsagePercent))%), \(number(s.availableCpuCores)) available"
            ),
            (
                "Memory",
                "\(s.usedMemoryMB) of \(s.totalMemoryMB) MB used (\(number(s.clusterMemoryUsagePercent))%), \(s.availableMemoryMB) available"
            ),
            ("VMs", "\(s.totalVms) of \(s.maxVms) (\(s.availableVmSlots) slots free)"),
            ("Zones", s.zones.isEmpty ? "-" : s.zones.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")),
        ])
        text += "\n"
        let rows = status.distribution.distribution.map { share in
            [
                share.workerId, share.hostname, share.zone ?? "-", String(share.vmCount),
                share.vms.map(\.name).joined(separator: ", "),
            ]
        }
        text += TableRenderer(headers: ["WORKER", "HOSTNAME", "ZONE", "VMS", "NAMES"], rows: rows).render()
        return text
    }

    /// What `flotilla cluster status` shows: `/cluster/stats` and `/cluster/distribution` together.
    public struct ClusterStatus: Codable, Sendable, Equatable {
        public var stats: Workers.ClusterStats
        public var distribution: Workers.Distribution
        public init(stats: Workers.ClusterStats, distribution: Workers.Distribution) {
            self.stats = stats
            self.distribution = distribution
        }
    }
}
