/// A named size for VMs (docs/api/surface-c-vms.md).
public struct Flavor: Sendable, Codable, Equatable, Hashable, Identifiable {
    public var id: String
    public var name: String
    public var vcpus: Int
    public var memoryMB: Int64
    public var diskGB: Int64
    public var ephemeralGB: Int64
    public var swapMB: Int64
    public var isPublic: Bool
    public var description: String

    public init(
        id: String, name: String, vcpus: Int, memoryMB: Int64, diskGB: Int64, ephemeralGB: Int64 = 0,
        swapMB: Int64 = 0, isPublic: Bool = true, description: String = ""
    ) {
        self.id = id
        self.name = name
        self.vcpus = vcpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.ephemeralGB = ephemeralGB
        self.swapMB = swapMB
        self.isPublic = isPublic
        self.description = description
    }

    public var resources: Resources {
        Resources(cpuCores: Double(vcpus), memoryBytes: memoryMB << 20, storageBytes: diskGB << 30)
    }

    /// The built-in flavors (docs/api/surface-c-vms.md, Shapes), seeded into the store once: the ids, sizes, names and
    /// descriptions of openstack-vm-api's own (docs/decisions/0015-names-and-text-limits.md).
    public static let builtIn: [Flavor] = [
        Flavor(id: "m1.tiny", name: "Tiny", vcpus: 1, memoryMB: 512, diskGB: 1, description: "Tiny instance for testing"),
        Flavor(
            id: "m1.small", name: "Small", vcpus: 1, memoryMB: 2048, diskGB: 20, description: "Small instance for light workloads"),
        Flavor(
            id: "m1.medium", name: "Medium", vcpus: 2, memoryMB: 4096, diskGB: 40,
            description: "Medium instance for general workloads"),
        Flavor(
            id: "m1.large", name: "Large", vcpus: 4, memoryMB: 8192, diskGB: 80,
            description: "Large instance for demanding workloads"),
        Flavor(
            id: "m1.xlarge", name: "Extra Large", vcpus: 8, memoryMB: 16384, diskGB: 160,
            description: "Extra large instance for heavy workloads"),
    ]

    /// The built-in flavors as hosts before issue 12 seeded them (named after their ids).
    public static let legacyBuiltIn: [Flavor] = [
        Flavor(id: "m1.tiny", name: "m1.tiny", vcpus: 1, memoryMB: 512, diskGB: 1, description: "Tiny"),
        Flavor(id: "m1.small", name: "m1.small", vcpus: 1, memoryMB: 2048, diskGB: 20, description: "Small"),
        Flavor(id: "m1.medium", name: "m1.medium", vcpus: 2, memoryMB: 4096, diskGB: 40, description: "Medium"),
        Flavor(id: "m1.large", name: "m1.large", vcpus: 4, memoryMB: 8192, diskGB: 80, description: "Large"),
        Flavor(id: "m1.xlarge", name: "m1.xlarge", vcpus: 8, memoryMB: 16384, diskGB: 160, description: "Extra large"),
    ]

    /// The current built-in flavor that replaces `stored` when `stored` is exactly a legacy built-in (an admin's
    /// change to it is kept: then nil).
    public static func upgrade(_ stored: Flavor) -> Flavor? {
        guard let index = legacyBuiltIn.firstIndex(of: stored) else { return nil }
        return builtIn[index]
    }
}
