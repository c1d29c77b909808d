import FlotillaCore

/// How a host reads a snapshot that another host keeps (docs/decisions/0028-snapshots.md): the holder's export over
/// the internal API; implemented by the server (`PeerSnapshotClient`).
public protocol SnapshotPeers: Sendable {
    /// Streams snapshot `snapshot`'s export from `holder` into `write`, piece by piece, within `timeout` for the
    /// whole stream. Throws with the holder's reason when it refuses or cannot be reached.
    func export(
        _ snapshot: Snapshot, from holder: Worker, timeout: Duration, into write: @escaping @Sendable ([UInt8]) async throws -> Void
    ) async throws
}
