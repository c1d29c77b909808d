public import Foundation

/// What a worker can hold.
public struct WorkerCapacity: Sendable, Codable, Equatable, Hashable {
    public var cpuCores: Double
    public var memoryMB: Int64
    public var diskGB: Int64
    public var maxInstances: Int

    public init(cpuCores: Double, memoryMB: Int64, diskGB: Int64, maxInstances: Int) {
        self.cpuCores = cpuCores
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.maxInstances = maxInstances
    }
}

/// The administrative status an operator sets. `offline` is not stored: it is the absence of a heartbeat.
public enum WorkerAdminStatus: String, Sendable, Codable, Equatable, CaseIterable {
    case active, draining
}

/// The status every surface shows.
public enum WorkerStatus: String, Sendable, Codable, Equatable, CaseIterable {
    case active, draining, offline
}

/// A host's registration, stored at `/flotilla/workers/<id>` without a lease so it outlives the host.
public struct Worker: Sendable, Codable, Equatable, Hashable, Identifiable {
    public var id: String
    public var hostname: String
    /// How other hosts reach this one, e.g. `http://10.0.0.5:8080`.
    public var address: String
    public var zone: String?
    public var labels: [String: String]
    /// Backends this host really has.
    public var capabilities: [BackendKind]
    public var capacity: WorkerCapacity
    public var adminStatus: WorkerAdminStatus
    public var startedAt: Date

    public init(
        id: String, hostname: String, address: String, zone: String? = nil, labels: [String: String] = [:],
        capabilities: [BackendKind], capacity: WorkerCapacity, adminStatus: WorkerAdminStatus = .active,
        startedAt: Date
    ) {
        self.id = id
        self.hostname = hostname
        self.address = address
        self.zone = zone
        self.labels = labels
        self.capabilities = capabilities
        self.capacity = capacity
        self.adminStatus = adminStatus
        self.startedAt = startedAt
    }
}

/// A heartbeat, stored at `/flotilla/alive/<id>` under the worker's lease: it vanishes when the host does.
public struct Heartbeat: Sendable, Codable, Equatable, Hashable {
    public var workerId: String
    public var at: Date
    /// The identity of the `flotilla serve` process's data folder (a random id kept in it): two processes that
    /// claim the same worker id from different data folders are two hosts, and the second is refused.
    public var nodeKey: String?
    /// The backends this host has that are down right now, with the reason: no placement goes there.
    public var unavailableBackends: [String: String]?
    /// Where this host answers its peers' probes (`host:port`, UDP), when it takes part in them
    /// (docs/decisions/0035-peer-probes.md).
    public var probeAddress: String?

    public init(
        workerId: String, at: Date, nodeKey: String? = nil, unavailableBackends: [String: String]? = nil, probeAddress: String? = nil
    ) {
        self.workerId = workerId
        self.at = at
        self.nodeKey = nodeKey
        self.unavailableBackends = unavailableBackends
        self.probeAddress = probeAddress
    }
}

/// The leader key's value, stored at `/flotilla/leader` under the leader's lease.
public struct LeaderRecord: Sendable, Codable, Equatable, Hashable {
    public var hostId: String
    public var address: String
    public var since: Date
    public init(hostId: String, address: String, since: Date) {
        self.hostId = hostId
        self.address = address
        self.since = since
    }
}
