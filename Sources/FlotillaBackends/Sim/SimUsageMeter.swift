import FlotillaCore

/// The live figures of one simulated instance. Every read of a running instance moves them one step:
/// cpu is a bounded random walk, memory wanders between 20% and 90% of the limit, storage grows slowly up to
/// the disk size and network counters only grow. A stopped instance uses no cpu and no memory.
struct SimUsageMeter: Sendable, Equatable {
    /// Share of the instance's cores in use, 0...1.
    private(set) var cpuShare: Double = 0
    /// Share of the memory limit in use, within ``memoryShareRange`` while the instance runs; 0 when stopped.
    private(set) var memoryShare: Double = 0
    private(set) var storageUsedBytes: Int64
    private(set) var networkRxBytes: Int64 = 0
    private(set) var networkTxBytes: Int64 = 0

    static let memoryShareRange: ClosedRange<Double> = 0.2...0.9

    init(storageTotalBytes: Int64, random: inout SimRandom) {
        // A fresh root filesystem already holds the image: a few percent of the disk.
        storageUsedBytes = Int64(Double(storageTotalBytes) * Double.random(in: 0.02...0.08, using: &random))
    }

    /// The instance (re)started: it boots with a modest footprint.
    mutating func started(random: inout SimRandom) {
        cpuShare = Double.random(in: 0.05...0.30, using: &random)
        memoryShare = Double.random(in: 0.25...0.45, using: &random)
    }

    /// The instance's process ended: cpu and memory are released; disk and counters stay.
    mutating func stopped() {
        cpuShare = 0
        memoryShare = 0
    }

    /// One step of a running instance.
    mutating func advance(storageTotalBytes: Int64, random: inout SimRandom) {
        cpuShare = (cpuShare + Double.random(in: -0.08...0.08, using: &random)).clamped(to: 0...1)
        memoryShare = (memoryShare + Double.random(in: -0.03...0.03, using: &random))
            .clamped(to: Self.memoryShareRange)
        let growth = Int64.random(in: 0...max(storageTotalBytes / 2_000, 1), using: &random)
        storageUsedBytes = min(storageUsedBytes + growth, storageTotalBytes)
        // At least one byte each way, so that two reads of a running instance always differ.
        networkRxBytes += Int64.random(in: 1...262_144, using: &random)
        networkTxBytes += Int64.random(in: 1...65_536, using: &random)
    }

    /// A disk resize: usage never exceeds the new size.
    mutating func resized(storageTotalBytes: Int64) {
        storageUsedBytes = min(storageUsedBytes, storageTotalBytes)
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
