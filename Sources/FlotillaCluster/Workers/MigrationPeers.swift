import FlotillaCore

/// The three calls the source host of a live migration makes to its destination (docs/decisions/0027-live-migration.md),
/// each with a deadline; implemented over the internal API by the server (`PeerMigrationClient`).
public protocol MigrationPeers: Sendable {
    /// Asks `destination` to prepare the incoming instance `id`, once its registry holds `revision` (the record that
    /// names this migration); `sharedStorage` names the shared disk storage the instance's disks sit on, if any.
    /// Throws with the destination's reason when it refuses or cannot be reached.
    func prepare(_ id: String, on destination: Worker, revision: Revision, sharedStorage: String?, timeout: Duration) async throws
        -> IncomingMigration
    /// Asks `destination` to wait until the incoming instance runs on its own, then to close the migration.
    func complete(_ id: String, on destination: Worker, timeout: Duration) async throws
    /// Asks `destination` to end and remove the incoming instance (best effort).
    func abort(_ id: String, on destination: Worker, timeout: Duration) async throws
}

/// The reason a peer call failed, as the other host said it (or why it could not be reached).
public struct MigrationPeerError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
