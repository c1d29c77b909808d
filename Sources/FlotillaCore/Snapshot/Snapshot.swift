public import Foundation

/// A snapshot of an instance as the registry holds it: the record stored at `/flotilla/snapshots/<id>`
/// (docs/decisions/0028-snapshots.md). The files it names (``artifact``) are kept by the backend of the host
/// that took it (``hostId``); a new instance made from it runs on that host.
public struct Snapshot: Sendable, Codable, Equatable {
    /// A ULID: snapshots sort by the time they were taken.
    public var id: String
    public var name: String
    /// The instance it was taken of (which may since have been deleted).
    public var instanceId: String
    public var instanceName: String
    public var kind: InstanceKind
    public var backend: BackendKind
    /// The host whose backend keeps the snapshot's files.
    public var hostId: String
    /// The instance's spec when the snapshot was taken: a new instance made from it gets this spec.
    public var spec: InstanceSpec
    public var artifact: SnapshotArtifact
    public var createdAt: Date

    public init(
        id: String, name: String, instanceId: String, instanceName: String, kind: InstanceKind, backend: BackendKind,
        hostId: String, spec: InstanceSpec, artifact: SnapshotArtifact, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.instanceId = instanceId
        self.instanceName = instanceName
        self.kind = kind
        self.backend = backend
        self.hostId = hostId
        self.spec = spec
        self.artifact = artifact
        self.createdAt = createdAt
    }
}
