import FlotillaCore

extension SimBackend {
    /// Live usage: each read of a running instance moves the simulation one step (see ``SimUsageMeter``).
    /// A paused instance holds its memory but uses no cpu; a stopped one uses neither.
    public func usage(id: String) async throws -> InstanceUsage {
        try await begin(.usage)
        var instance = try existing(id)
        if instance.state == .running {
            instance.meter.advance(storageTotalBytes: instance.storageTotalBytes, random: &instance.random)
            instances[id] = instance
        }
        let meter = instance.meter
        let cores = instance.resources.cpuCores
        let limit = instance.resources.memoryBytes
        let memoryShare = instance.isRunning ? meter.memoryShare : 0
        return InstanceUsage(
            cpuPercent: instance.state == .running ? meter.cpuShare * 100 * cores : 0,
            cpuCores: cores,
            memoryUsedBytes: Int64(Double(limit) * memoryShare),
            memoryLimitBytes: limit,
            storageUsedBytes: meter.storageUsedBytes,
            storageTotalBytes: instance.storageTotalBytes,
            networkRxBytes: meter.networkRxBytes,
            networkTxBytes: meter.networkTxBytes,
            observedAt: now)
    }
}
