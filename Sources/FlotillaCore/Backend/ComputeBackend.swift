public import Foundation

/// The port every compute backend adapter implements (`QEMUBackend`, `DockerBackend`, `SimBackend`).
///
/// Instances are addressed by their Flotilla id; an adapter keeps its own handle (container id, pid) and
/// marks what it creates as owned by Flotilla so that `list` can find it again after a restart.
public protocol ComputeBackend: Sendable {
    var kind: BackendKind { get }
    /// What this backend can do beyond the basics.
    var features: BackendFeatures { get }

    /// Live facts about the backend itself (version, health).
    func info() async -> BackendInfo

    /// Creates the instance without starting it.
    func create(_ request: BackendCreateRequest) async throws
    func start(id: String) async throws
    /// Stops gracefully within `timeout`, then forcibly; or at once when `force`.
    func stop(id: String, force: Bool, timeout: Duration) async throws
    func restart(id: String, hard: Bool, timeout: Duration) async throws
    func pause(id: String) async throws
    func resume(id: String) async throws
    /// Removes the instance; when `force`, kills it first if it runs.
    func delete(id: String, force: Bool) async throws
    /// Applies new resources; returns true when applied to the running instance, false when they take
    /// effect on the next start.
    func update(id: String, resources: Resources) async throws -> Bool
    /// The live state of one instance.
    func inspect(id: String) async throws -> ObservedInstance
    /// Live usage figures, read from the backend (never invented).
    func usage(id: String) async throws -> InstanceUsage
    /// Every instance this backend holds that Flotilla owns (for adoption after a restart).
    func list() async throws -> [ObservedInstance]
    /// The last `lines` lines of the instance's console (a VM's serial console).
    func console(id: String, lines: Int) async throws -> String
    /// Writes the instance's log (ADR 0024): its last `tail` lines, then, when `follow`, what it writes next, until
    /// it stops or is deleted, or the task is cancelled (or `write` throws). Docker: the container's stdout and
    /// stderr; KVM: the serial console; sim: its own lifecycle record. Lines are cut at
    /// ``InstanceLogLimits/maxLineBytes``. Throws ``BackendError/notFound(_:)`` before writing anything when the
    /// backend does not hold the instance.
    func logs(id: String, tail: Int, follow: Bool, write: ([UInt8]) async throws -> Void) async throws
    /// Follows the backend's own change notifications (the Docker Engine's event stream, QMP events and QEMU
    /// exits, the simulation's injected faults) and calls `changed` with the Flotilla instance id of every
    /// instance whose state may have changed, as soon as the backend says so. Runs until cancelled; throws
    /// when the source fails, and the caller follows again after a back-off. The periodic resync stays the
    /// safety net for anything a source misses. Backends without a source throw
    /// ``BackendError/unsupported(_:)`` at once.
    func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws
}

extension ComputeBackend {
    /// Backends without a console throw ``BackendError/unsupported(_:)``.
    public func console(id: String, lines: Int) async throws -> String {
        throw BackendError.unsupported("console")
    }

    /// Backends without logs throw ``BackendError/unsupported(_:)``.
    public func logs(
        id: String, tail: Int, follow: Bool, write: ([UInt8]) async throws -> Void
    ) async throws {
        throw BackendError.unsupported("logs")
    }

    /// Backends without a change source throw ``BackendError/unsupported(_:)``.
    public func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws {
        throw BackendError.unsupported("events")
    }
}

/// Optional abilities.
public struct BackendFeatures: Sendable, Equatable, Codable {
    public var pause: Bool
    public var liveResize: Bool
    public init(pause: Bool, liveResize: Bool) {
        self.pause = pause
        self.liveResize = liveResize
    }
}

/// What the backend needs to create an instance.
public struct BackendCreateRequest: Sendable, Equatable {
    public var id: String
    public var name: String
    public var kind: InstanceKind
    public var spec: InstanceSpec
    /// Artifacts resolved from the image catalog, when the image is a catalog entry (the initrd and root disk of
    /// ``InstanceConfig/initrdImage`` and ``InstanceConfig/rootImage`` merged in: ``ImageArtifacts/resolve(_:images:)``).
    public var artifacts: ImageArtifacts?
    /// The networks the spec's interfaces are on.
    public var networks: [String: NetworkDefinition]
    /// The source of each additional disk with a catalog image, by disk id.
    public var diskImages: [String: DiskImage]

    public init(
        id: String, name: String, kind: InstanceKind, spec: InstanceSpec, artifacts: ImageArtifacts? = nil,
        networks: [String: NetworkDefinition] = [:], diskImages: [String: DiskImage] = [:]
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.spec = spec
        self.artifacts = artifacts
        self.networks = networks
        self.diskImages = diskImages
    }
}

/// The state a backend reports for one instance.
public struct ObservedInstance: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case created, running, paused, stopped, error
    }
    public var id: String
    public var state: State
    /// e.g. "exited with code 137".
    public var description: String?
    public var exitCode: Int32?

    public init(id: String, state: State, description: String? = nil, exitCode: Int32? = nil) {
        self.id = id
        self.state = state
        self.description = description
        self.exitCode = exitCode
    }

    /// The lifecycle state this observation means.
    public var lifecycleState: InstanceState {
        switch state {
        case .created, .stopped: return .stopped
        case .running: return .running
        case .paused: return .paused
        case .error: return .error
        }
    }
}

/// Live usage of one instance, in surface A's units (docs/api/surface-a-compute.md).
public struct InstanceUsage: Sendable, Equatable, Codable {
    public var cpuPercent: Double
    public var cpuCores: Double
    public var memoryUsedBytes: Int64
    public var memoryLimitBytes: Int64
    public var storageUsedBytes: Int64
    public var storageTotalBytes: Int64
    public var networkRxBytes: Int64
    public var networkTxBytes: Int64
    /// Block I/O since the instance started, where the backend measures it (docker).
    public var blockReadBytes: Int64?
    public var blockWrittenBytes: Int64?
    public var observedAt: Date

    public init(
        cpuPercent: Double, cpuCores: Double, memoryUsedBytes: Int64, memoryLimitBytes: Int64,
        storageUsedBytes: Int64, storageTotalBytes: Int64, networkRxBytes: Int64, networkTxBytes: Int64,
        observedAt: Date
    ) {
        self.cpuPercent = cpuPercent
        self.cpuCores = cpuCores
        self.memoryUsedBytes = memoryUsedBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.storageUsedBytes = storageUsedBytes
        self.storageTotalBytes = storageTotalBytes
        self.networkRxBytes = networkRxBytes
        self.networkTxBytes = networkTxBytes
        self.observedAt = observedAt
    }

    public var memoryPercent: Double {
        memoryLimitBytes > 0 ? Double(memoryUsedBytes) / Double(memoryLimitBytes) * 100 : 0
    }
}
