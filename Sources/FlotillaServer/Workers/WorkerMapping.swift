import FlotillaAPI
import FlotillaCore
import Foundation

/// Surface B's mapping from the registry to its wire types: every formula of docs/api/surface-b-workers.md lives
/// here.
enum WorkerMapping {
    /// One worker: `used_*` are the resources its live instances hold, percentages are used/total*100,
    /// `is_healthy` is a heartbeat younger than the fleet's effective health window
    /// (`RegistryState.effectiveHealthWindow`), `last_seen` the heartbeat's time.
    static func worker(_ w: Worker, in state: RegistryState, allocations: [String: Allocation], now: Date, healthWindow: TimeInterval)
        -> Workers.Worker
    {
        let used = allocations[w.id] ?? Allocation()
        let beat = state.heartbeats[w.id]?.value.at
        return Workers.Worker(
            id: w.id, hostname: w.hostname, address: w.address, zone: w.zone, status: state.status(ofWorker: w.id).rawValue,
            labels: w.labels, capabilities: w.capabilities.map(\.rawValue), cpuCores: w.capacity.cpuCores,
            memoryMB: w.capacity.memoryMB, diskGB: w.capacity.diskGB, usedCpuCores: used.cpuCores,
            usedMemoryMB: used.memoryMB, usedDiskGB: used.diskGB,
            cpuUsagePercent: percent(used.cpuCores, of: w.capacity.cpuCores),
            memoryUsagePercent: percent(Double(used.memoryMB), of: Double(w.capacity.memoryMB)),
            vmCount: used.instances, maxVms: w.capacity.maxInstances, startedAt: w.startedAt, lastSeen: beat,
            uptime: uptime(now.timeIntervalSince(w.startedAt)),
            isHealthy: state.hasFreshHeartbeat(w.id, now: now, window: state.effectiveHealthWindow(configured: healthWindow)))
    }

    /// Every worker, sorted by id, optionally only those of one zone.
    static func workers(in state: RegistryState, zone: String?, now: Date, healthWindow: TimeInterval) -> [Workers.Worker] {
        let allocations = state.allocations()
        return state.workers.values.map(\.value)
            .filter { zone == nil || $0.zone == zone }
            .sorted { $0.id < $1.id }
            .map { worker($0, in: state, allocations: allocations, now: now, healthWindow: healthWindow) }
    }

    /// An instance as the worker API lists it.
    static func vm(_ i: Instance) -> Workers.VM {
        Workers.VM(
            id: i.id, name: i.name, status: VMMapping.status(i.state), vcpus: i.spec.resources.cpuCores,
            memoryMB: i.spec.resources.memoryMB)
    }

    /// The live instances placed on a worker, oldest first.
    static func vms(on workerId: String, in state: RegistryState) -> [Workers.VM] {
        state.instances.live(onWorker: workerId)
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            .map(vm)
    }

    /// Cluster figures: sums over every known worker; `available_* = total - used`,
    /// `available_vm_slots = sum(max_vms) - sum(vm_count)`, `zones` counts workers per non-empty zone.
    static func stats(_ state: RegistryState) -> Workers.ClusterStats {
        let allocations = state.allocations()
        var counts: [WorkerStatus: Int] = [:]
        var totalCpu = 0.0, usedCpu = 0.0
        var totalMemory: Int64 = 0, usedMemory: Int64 = 0
        var vms = 0, maxVms = 0
        var zones: [String: Int] = [:]
        for w in state.workers.values.map(\.value) {
            counts[state.status(ofWorker: w.id), default: 0] += 1
            let used = allocations[w.id] ?? Allocation()
            totalCpu += w.capacity.cpuCores
            usedCpu += used.cpuCores
            totalMemory += w.capacity.memoryMB
            usedMemory += used.memoryMB
            vms += used.instances
            maxVms += w.capacity.maxInstances
            if let zone = w.zone, !zone.isEmpty { zones[zone, default: 0] += 1 }
        }
        return Workers.ClusterStats(
            totalWorkers: state.workers.count, activeWorkers: counts[.active] ?? 0, drainingWorkers: counts[.draining] ?? 0,
            offlineWorkers: counts[.offline] ?? 0, totalCpuCores: totalCpu, totalMemoryMB: totalMemory,
            usedCpuCores: usedCpu, usedMemoryMB: usedMemory, availableCpuCores: totalCpu - usedCpu,
            availableMemoryMB: totalMemory - usedMemory, clusterCpuUsagePercent: percent(usedCpu, of: totalCpu),
            clusterMemoryUsagePercent: percent(Double(usedMemory), of: Double(totalMemory)), totalVms: vms, maxVms: maxVms,
            availableVmSlots: maxVms - vms, zones: zones)
    }

    /// Each worker with its live instances, sorted by worker id.
    static func distribution(_ state: RegistryState) -> Workers.Distribution {
        let shares = state.workers.values.map(\.value).sorted { $0.id < $1.id }.map { w in
            let list = Self.vms(on: w.id, in: state)
            return Workers.WorkerShare(workerId: w.id, hostname: w.hostname, zone: w.zone, vmCount: list.count, vms: list)
        }
        return Workers.Distribution(distribution: shares, totalWorkers: shares.count)
    }

    static func percent(_ used: Double, of total: Double) -> Double {
        total > 0 ? used / total * 100 : 0
    }

    /// A duration like `2h30m45s` (whole seconds; hours keep counting past a day): `45s`, `3m0s`, `1h0m5s`.
    static func uptime(_ interval: TimeInterval) -> String {
        let total = max(0, Int(interval.rounded(.down)))
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        if h > 0 { return "\(h)h\(m)m\(s)s" }
        if m > 0 { return "\(m)m\(s)s" }
        return "\(s)s"
    }
}
