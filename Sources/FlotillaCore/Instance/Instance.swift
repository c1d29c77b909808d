public import Foundation

/// Options of the last stop the API asked for, so the owning host stops the way the user asked.
public struct StopOptions: Sendable, Codable, Equatable, Hashable {
    public var force: Bool
    public var timeoutSeconds: Int
    public init(force: Bool = false, timeoutSeconds: Int = 30) {
        self.force = force
        self.timeoutSeconds = timeoutSeconds
    }
}

/// One instance as the registry holds it: the record stored at `/flotilla/instances/<id>`.
public struct Instance: Sendable, Codable, Equatable, Hashable, Identifiable {
    /// A lowercase UUID.
    public var id: String
    public var name: String
    public var kind: InstanceKind
    public var backend: BackendKind
    public var spec: InstanceSpec
    /// Bumped whenever `spec` changes.
    public var generation: Int64
    public var desired: DesiredState
    public var state: InstanceState
    /// Why the instance is in its state (e.g. an exit code or a backend error), when there is a reason.
    public var stateDescription: String?
    /// The worker the instance is placed on; nil while pending.
    public var workerId: String?
    /// The spec generation the backend last applied.
    public var appliedGeneration: Int64
    public var stopOptions: StopOptions
    /// True when the last restart asked for a hard reset.
    public var hardRestart: Bool
    /// Counts every restart the API asked for, so the host can tell a new one from an old one.
    public var restartCount: Int64
    public var createdAt: Date
    public var updatedAt: Date
    public var launchedAt: Date?
    public var terminatedAt: Date?
    /// The worker a drain with `migrate` moved the instance away from. That worker's agent deletes its
    /// leftover backend instance; no other host touches it.
    public var migratedFrom: String?
    /// Where a migration is taking the instance (the worker surface D's migrate named, else the scheduler's pick
    /// at the time): while the instance is pending, the leader places it there and nowhere else; placing it clears
    /// this (docs/decisions/0006-drain-and-migrate.md).
    public var migrateTo: String?
    /// Where the instance stands with its restart policy; nil before the policy ever acted.
    public var restarts: RestartStatus?
    /// The last migration (live or cold) and how it went, with the reason when it was cold or failed
    /// (docs/decisions/0027-live-migration.md).
    public var lastMigration: MigrationRecord?
    /// The snapshot the instance was made from (docs/decisions/0028-snapshots.md): its host creates it with
    /// ``Snapshotting/create(_:from:)``. nil for an instance made from its spec alone.
    public var restoredFrom: String?

    public init(
        id: String, name: String, kind: InstanceKind, backend: BackendKind, spec: InstanceSpec,
        createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.backend = backend
        self.spec = spec
        self.generation = 1
        self.desired = .running
        self.state = .pending
        self.stateDescription = nil
        self.workerId = nil
        self.appliedGeneration = 0
        self.stopOptions = StopOptions()
        self.hardRestart = false
        self.restartCount = 0
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.launchedAt = nil
        self.terminatedAt = nil
        self.migratedFrom = nil
        self.migrateTo = nil
        self.restarts = nil
        self.lastMigration = nil
    }

    /// Whether the instance still counts: placed instances that are not deleted hold their resources.
    public var isLive: Bool { state != .deleted }

    /// The state that completes the last accepted action.
    public var targetState: InstanceState {
        switch desired {
        case .running: return .running
        case .stopped: return .stopped
        case .paused: return .paused
        case .deleted: return .deleted
        }
    }

    /// True when the instance has settled where the API asked (or failed).
    public var hasSettled: Bool { state == targetState || state == .error }
}
