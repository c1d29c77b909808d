import FlotillaCore
import Foundation

/// The capacity of this machine, read from the system unless configured. CPU is offered with an allocation
/// ratio (default 4 vCPUs per core, as OpenStack Nova does with 16): instances rarely use all their cores.
/// Memory and disk are offered 1:1.
enum MachineCapacity {
    static func read(_ config: HostConfiguration) -> WorkerCapacity {
        let cpu = config.cpuCores ?? Double(ProcessInfo.processInfo.activeProcessorCount) * config.cpuAllocationRatio
        let memory = config.memoryMB ?? Int64(ProcessInfo.processInfo.physicalMemory >> 20)
        let disk = config.diskGB ?? diskGB(at: config.dataDir)
        return WorkerCapacity(cpuCores: cpu, memoryMB: memory, diskGB: disk, maxInstances: config.maxInstances)
    }

    private static func diskGB(at path: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfFileSystem(forPath: path)
        let bytes = (attributes?[.systemSize] as? NSNumber)?.int64Value ?? 0
        return bytes >> 30
    }
}
