/// Resources reserved for an instance.
public struct Resources: Sendable, Codable, Equatable, Hashable {
    public var cpuCores: Double
    public var memoryBytes: Int64
    /// Root storage; 0 when the backend uses its default.
    public var storageBytes: Int64

    public init(cpuCores: Double = 1, memoryBytes: Int64 = 512 * 1024 * 1024, storageBytes: Int64 = 0) {
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
        self.storageBytes = storageBytes
    }

    /// Memory in MiB, rounded up: the unit workers account capacity in.
    public var memoryMB: Int64 { (memoryBytes + (1 << 20) - 1) >> 20 }
    /// Storage in GiB, rounded up.
    public var storageGB: Int64 { (storageBytes + (1 << 30) - 1) >> 30 }
}

/// Cloud-init data for VMs (NoCloud).
public struct CloudInit: Sendable, Codable, Equatable, Hashable {
    public var userData: String?
    public var metaData: String?
    public init(userData: String? = nil, metaData: String? = nil) {
        self.userData = userData
        self.metaData = metaData
    }
}

/// Backend configuration: surface A's one `config` for KVM and Docker fields together (docs/api/surface-a-compute.md).
/// Fields a backend does not use are ignored by it.
public struct InstanceConfig: Sendable, Codable, Equatable, Hashable {
    public var image: String
    // Docker
    public var command: [String]?
    public var env: [String]?
    public var volumes: [String]?
    public var ports: [String]?
    public var networkMode: String?
    public var restartPolicy: String?
    // KVM
    public var diskFormat: String?
    public var networkType: String?
    public var networkSource: String?
    public var cloudInit: CloudInit?
    /// A catalog image whose initrd replaces the one of ``image`` (kvm).
    public var initrdImage: String?
    /// A catalog image whose disk is the root disk, replacing the one of ``image`` (kvm).
    public var rootImage: String?
    /// Kernel command line added after Flotilla's own (kvm; docs/decisions/0026-vm-disks.md says which wins).
    public var kernelArguments: String?
    /// Additional disks, attached in order after the root disk (kvm).
    public var disks: [DiskSpec]?
    // Both
    /// Interfaces on Flotilla networks; addresses and MACs are filled when the instance is recorded.
    public var networks: [NetworkInterface]?

    public init(
        image: String, command: [String]? = nil, env: [String]? = nil, volumes: [String]? = nil,
        ports: [String]? = nil, networkMode: String? = nil, restartPolicy: String? = nil,
        diskFormat: String? = nil, networkType: String? = nil, networkSource: String? = nil,
        cloudInit: CloudInit? = nil, initrdImage: String? = nil, rootImage: String? = nil, kernelArguments: String? = nil,
        disks: [DiskSpec]? = nil, networks: [NetworkInterface]? = nil
    ) {
        self.image = image
        self.command = command
        self.env = env
        self.volumes = volumes
        self.ports = ports
        self.networkMode = networkMode
        self.restartPolicy = restartPolicy
        self.diskFormat = diskFormat
        self.networkType = networkType
        self.networkSource = networkSource
        self.cloudInit = cloudInit
        self.initrdImage = initrdImage
        self.rootImage = rootImage
        self.kernelArguments = kernelArguments
        self.disks = disks
        self.networks = networks
    }
}

/// Where an instance may be placed.
public struct PlacementConstraints: Sendable, Codable, Equatable, Hashable {
    public enum Strategy: String, Sendable, Codable, CaseIterable { case spread, binpack }
    public var zone: String?
    /// Every label here must be on the worker with the same value.
    public var workerLabels: [String: String]
    /// Pin to one worker.
    public var workerId: String?
    public var strategy: Strategy
    /// What happens when the instance's host is cut off from the store; nil: ``HostLossPolicy/reschedule``.
    public var onHostLost: HostLossPolicy?

    public init(
        zone: String? = nil, workerLabels: [String: String] = [:], workerId: String? = nil, strategy: Strategy = .spread,
        onHostLost: HostLossPolicy? = nil
    ) {
        self.zone = zone
        self.workerLabels = workerLabels
        self.workerId = workerId
        self.strategy = strategy
        self.onHostLost = onHostLost
    }

    /// The worker labels asked for as `k=v,k=v`, sorted by key (for the reason of a refusal).
    public var workerLabelsText: String {
        workerLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// The policy in force.
    public var effectiveHostLoss: HostLossPolicy { onHostLost ?? .reschedule }
}

/// What happens to an instance whose host is cut off from the store (docs/decisions/0016-self-fencing.md).
public enum HostLossPolicy: String, Sendable, Codable, CaseIterable, Equatable, Hashable {
    /// The host stops it once cut off for the fence bound, and the leader places it elsewhere after the grace.
    case reschedule
    /// It keeps running on its host through a control-plane outage: never fenced, never rescheduled (it waits
    /// for its host to come back), as Nomad's `prevent_reschedule_on_lost`.
    case keep
}

/// What the user asked for: everything needed to run the instance anywhere.
public struct InstanceSpec: Sendable, Codable, Equatable, Hashable {
    public var config: InstanceConfig
    public var resources: Resources
    public var labels: [String: String]
    public var metadata: [String: String]
    public var placement: PlacementConstraints
    /// What the owning host does when the instance stops on its own; nil: ``RestartPolicy/default``.
    public var restartPolicy: RestartPolicy?

    public init(
        config: InstanceConfig, resources: Resources = Resources(), labels: [String: String] = [:],
        metadata: [String: String] = [:], placement: PlacementConstraints = PlacementConstraints(),
        restartPolicy: RestartPolicy? = nil
    ) {
        self.config = config
        self.resources = resources
        self.labels = labels
        self.metadata = metadata
        self.placement = placement
        self.restartPolicy = restartPolicy
    }

    /// The policy in force.
    public var effectiveRestartPolicy: RestartPolicy { restartPolicy ?? .default }
}
