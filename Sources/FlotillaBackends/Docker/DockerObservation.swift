import FlotillaCore
import Foundation

/// Maps what the daemon reports onto Flotilla's observed state and usage (pure: no I/O).
///
/// Exit codes: a container that exited with 0, or was ended by SIGTERM or SIGKILL (143, 137: how
/// `stop` and `kill` end a container, whoever called them), is `stopped`; any other exit code, an OOM kill
/// or a dead container is `error`. The exit code is always in the description ("exited with code 137").
/// The rule needs no memory of who stopped what, so it reads the same after a restart of Flotilla.
enum DockerObservation {
    static func observed(id: String, state s: DockerWire.ContainerInspect.State) -> ObservedInstance {
        let code = s.ExitCode ?? 0
        switch s.Status {
        case "created":
            return ObservedInstance(id: id, state: .created)
        case "running":
            return ObservedInstance(id: id, state: s.Paused == true ? .paused : .running)
        case "paused":
            return ObservedInstance(id: id, state: .paused)
        case "restarting":
            return ObservedInstance(
                id: id, state: .error, description: "restarting by its restart policy after exiting with code \(code)",
                exitCode: code)
        case "removing":
            return ObservedInstance(id: id, state: .stopped, description: "being removed", exitCode: code)
        case "dead":
            return ObservedInstance(id: id, state: .error, description: "dead (exit code \(code))\(detail(s))", exitCode: code)
        default:  // "exited", and whatever a newer daemon may add
            if s.OOMKilled == true {
                return ObservedInstance(
                    id: id, state: .error, description: "killed: out of memory (exit code \(code))", exitCode: code)
            }
            let stopped = code == 0 || code == 137 || code == 143
            return ObservedInstance(
                id: id, state: stopped ? .stopped : .error, description: "exited with code \(code)\(detail(s))",
                exitCode: code)
        }
    }

    private static func detail(_ s: DockerWire.ContainerInspect.State) -> String {
        guard let error = s.Error, !error.isEmpty else { return "" }
        return ": \(error)"
    }

    /// Live usage from one stats read and the container's inspection (for limits and disk sizes).
    static func usage(
        stats: DockerWire.Stats?, inspect: DockerWire.ContainerInspect, observedAt: Date
    ) -> InstanceUsage {
        let nano = inspect.HostConfig?.NanoCpus ?? 0
        let onlineCPUs = stats?.cpu_stats?.online_cpus ?? ProcessInfo.processInfo.activeProcessorCount
        let cores = nano > 0 ? Double(nano) / 1_000_000_000 : Double(onlineCPUs)
        var cpuPercent = 0.0
        if let cpu = stats?.cpu_stats, let pre = stats?.precpu_stats,
            let total = cpu.cpu_usage?.total_usage, let preTotal = pre.cpu_usage?.total_usage,
            let system = cpu.system_cpu_usage, let preSystem = pre.system_cpu_usage,
            total >= preTotal, system > preSystem, preSystem > 0
        {
            cpuPercent = Double(total - preTotal) / Double(system - preSystem) * Double(onlineCPUs) * 100
        }
        let configuredLimit = inspect.HostConfig?.Memory ?? 0
        var memoryUsed: Int64 = 0
        var memoryLimit = configuredLimit
        if let memory = stats?.memory_stats {
            // What `docker stats` shows: usage without the page cache (cgroup v1 `cache`, v2 `inactive_file`).
            let cache = memory.stats?["total_inactive_file"] ?? memory.stats?["inactive_file"] ?? memory.stats?["cache"] ?? 0
            memoryUsed = max(0, (memory.usage ?? 0) - cache)
            if let limit = memory.limit, limit > 0 { memoryLimit = configuredLimit > 0 ? min(limit, configuredLimit) : limit }
        }
        if memoryLimit > 0 { memoryUsed = min(memoryUsed, memoryLimit) }
        let networks = stats?.networks?.values.map { $0 } ?? []
        return InstanceUsage(
            cpuPercent: max(0, cpuPercent), cpuCores: cores,
            memoryUsedBytes: memoryUsed, memoryLimitBytes: memoryLimit,
            storageUsedBytes: max(0, inspect.SizeRw ?? 0), storageTotalBytes: max(0, inspect.SizeRootFs ?? 0),
            networkRxBytes: networks.reduce(0) { $0 + max(0, $1.rx_bytes ?? 0) },
            networkTxBytes: networks.reduce(0) { $0 + max(0, $1.tx_bytes ?? 0) },
            observedAt: observedAt)
    }

    /// Bytes read and written by the container's block devices (from the same stats read).
    static func blockIO(_ stats: DockerWire.Stats?) -> (read: Int64, written: Int64) {
        let entries = stats?.blkio_stats?.io_service_bytes_recursive ?? []
        func sum(_ op: String) -> Int64 {
            entries.filter { $0.op?.lowercased() == op }.reduce(0) { $0 + max(0, $1.value ?? 0) }
        }
        return (sum("read"), sum("write"))
    }
}
