import FlotillaCore
import Foundation

/// The capacity of this machine, read from the system unless configured.
enum MachineCapacity {
    static func read(_ config: HostConfiguration) -> WorkerCapacity {
        let cpu = config.cpuCores ?? Double(ProcessInfo.processInfo.activeProcessorCount)
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
