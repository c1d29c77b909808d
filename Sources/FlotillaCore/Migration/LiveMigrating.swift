import Foundation

/// Where a destination host waits for a live migration (docs/decisions/0027-live-migration.md): the addresses the
/// source's host connects to, each opened with ``token`` first. Made by the destination's backend
/// (``LiveMigrating/prepareIncoming(_:listenHost:sharedStorage:)``), carried to the source over the internal API.
public struct IncomingMigration: Sendable, Codable, Equatable {
    public var instanceId: String
    /// `host:port` of the memory stream (QEMU's migration channel on the destination).
    public var migrationAddress: String
    /// `host:port` of the disk server (an NBD server of the destination's QEMU), nil when no disk is mirrored.
    public var diskAddress: String?
    /// The drives the source mirrors, by their QEMU drive name (the export names of the disk server).
    public var disks: [String]
    /// A secret the source sends first on every connection; a connection without it is closed unread.
    public var token: String
    /// True when the destination uses the source's own disks on storage both hosts share (nothing is mirrored;
    /// docs/decisions/0029-shared-disk-storage.md); its guest then runs only once the cluster named it the owner.
    public var sharedDisks: Bool?

    public init(instanceId: String, migrationAddress: String, diskAddress: String?, disks: [String], token: String) {
        self.instanceId = instanceId
        self.migrationAddress = migrationAddress
        self.diskAddress = diskAddress
        self.disks = disks
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case instanceId = "instance_id"
        case migrationAddress = "migration_address"
        case diskAddress = "disk_address"
        case disks, token
        case sharedDisks = "shared_disks"
    }
}

/// What one live migration measured, from the backend's own figures (QMP `query-migrate` for kvm).
public struct MigrationFigures: Sendable, Codable, Equatable, Hashable {
    /// From the start of the memory migration to its end.
    public var totalMilliseconds: Int64
    /// How long the guest was paused at the switch, as the backend measured it.
    public var downtimeMilliseconds: Int64
    /// How long mirroring the disks took before the memory migration started.
    public var diskMilliseconds: Int64
    /// Bytes of memory sent, and of disk mirrored.
    public var memoryBytes: Int64
    public var diskBytes: Int64

    public init(
        totalMilliseconds: Int64, downtimeMilliseconds: Int64, diskMilliseconds: Int64 = 0, memoryBytes: Int64 = 0,
        diskBytes: Int64 = 0
    ) {
        self.totalMilliseconds = totalMilliseconds
        self.downtimeMilliseconds = downtimeMilliseconds
        self.diskMilliseconds = diskMilliseconds
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
    }

    enum CodingKeys: String, CodingKey {
        case totalMilliseconds = "total_ms"
        case downtimeMilliseconds = "downtime_ms"
        case diskMilliseconds = "disk_ms"
        case memoryBytes = "memory_bytes"
        case diskBytes = "disk_bytes"
    }
}

/// A backend that can move a running instance to another host without stopping it (kvm: QEMU live migration;
/// docs/decisions/0027-live-migration.md). The cluster drives the steps; each host's backend does its half:
///
/// 1. destination: ``prepareIncoming(_:listenHost:sharedStorage:)`` makes the instance's files and devices and launches it waiting
///    for the incoming state;
/// 2. source: ``migrateOut(id:to:timeout:)`` mirrors the disks and moves memory; on success the source guest is
///    left paused, its memory and disks intact, on failure it runs on here as before;
/// 3. destination: ``completeIncoming(id:timeout:)`` once the source succeeded, or ``abortIncoming(id:)`` on
///    any failure, which leaves nothing behind;
/// 4. source: once the registry names the destination, the cluster deletes the paused copy; when the move did not
///    complete (the destination failed before its guest ran, or the owner could not be switched),
///    ``resumeMigratedOut(id:)`` resumes the guest here, as it was.
public protocol LiveMigrating: ComputeBackend {
    /// Destination: creates the instance as ``ComputeBackend/create(_:)`` would (same machine, devices and
    /// network links) and launches it waiting for its state, listening on `listenHost` (an address of this host that
    /// the source's host reaches). Throws when it cannot, leaving nothing behind.
    /// `sharedStorage` is the identity of the shared disk storage the source's disks sit on (``sharedStorage(id:)``):
    /// when this host shares it and can use them, they are used as they are and nothing is mirrored.
    func prepareIncoming(_ request: BackendCreateRequest, listenHost: String, sharedStorage: String?) async throws -> IncomingMigration
    /// Source: moves the running instance `id` to `incoming` within `timeout`. On success the guest's state is on
    /// the destination and the local copy is paused, intact, until the cluster deletes it or resumes it
    /// (``resumeMigratedOut(id:)``): it is never ended before the destination ran the guest. On any failure the
    /// migration is cancelled, the guest runs here as before, and the error says which step failed.
    func migrateOut(id: String, to incoming: IncomingMigration, timeout: Duration) async throws -> MigrationFigures
    /// Source: resumes the guest that ``migrateOut(id:to:timeout:)`` left paused, when the move did not complete.
    func resumeMigratedOut(id: String) async throws
    /// Destination: waits until the incoming instance runs on its own (the source finished), then closes what was
    /// opened for the migration. From then on the instance is an ordinary one of this backend.
    func completeIncoming(id: String, timeout: Duration) async throws
    /// Destination: ends and removes an incoming instance that did not complete (idempotent; unknown ids are fine).
    func abortIncoming(id: String) async
    /// Source: the identity of the shared disk storage instance `id`'s disks sit on, nil when they are its own.
    func sharedStorage(id: String) async -> String?
    /// Destination, once the cluster named this host the owner: lets an incoming guest that waited for it run (kvm on
    /// shared disks); a no-op for any other instance.
    func activateIncoming(id: String) async
    /// Destination: the ids of incoming instances not yet completed (left over after a crash: the cluster aborts those
    /// the registry does not place here).
    func incomingInstances() async -> [String]
}
