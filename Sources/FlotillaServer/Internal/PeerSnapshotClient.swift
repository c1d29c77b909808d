import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import NIOCore

/// Reads a snapshot kept by another host: `GET /internal/v1/snapshots/{id}/export` on the holder, with the cluster
/// credential, its body handed on piece by piece (docs/decisions/0028-snapshots.md). The answer's head comes within
/// the connect deadline; the whole stream within the caller's.
public struct PeerSnapshotClient: SnapshotPeers {
    let peers: any PeerTransport
    let credential: ClusterCredential
    let hostId: String
    let connectTimeout: Duration

    public init(peers: any PeerTransport, credential: ClusterCredential, hostId: String, connectTimeout: Duration = .seconds(10)) {
        self.peers = peers
        self.credential = credential
        self.hostId = hostId
        self.connectTimeout = connectTimeout
    }

    public func export(
        _ snapshot: Snapshot, from holder: Worker, timeout: Duration, into write: @escaping @Sendable ([UInt8]) async throws -> Void
    ) async throws {
        var headers = HTTPFields()
        headers[.clusterToken] = credential.token
        headers[.forwardedBy] = hostId
        let base = holder.address.hasSuffix("/") ? String(holder.address.dropLast()) : holder.address
        let request = PeerRequest(method: .get, url: base + SnapshotExportRoute.path(snapshot.id), headers: headers)
        let peers = self.peers
        let connectTimeout = self.connectTimeout
        do {
            try await withDeadline(timeout) {
                let answer = try await peers.stream(request, connectTimeout: connectTimeout)
                guard answer.status == .ok else {
                    var body = ByteBuffer()
                    try await answer.body { piece in
                        var piece = piece
                        if body.readableBytes < 4096 { body.writeBuffer(&piece) }
                    }
                    throw MigrationPeerError(
                        "host \(holder.id) answered \(answer.status.code): \(PeerMigrationClient.message(body))")
                }
                try await answer.body { piece in try await write(Array(piece.readableBytesView)) }
            }
        } catch let e as PeerUnreachable {
            throw MigrationPeerError("host \(holder.id) could not be reached: \(e.reason)")
        } catch is DeadlineExceeded {
            throw MigrationPeerError("copying snapshot \(snapshot.id) from host \(holder.id) took more than \(timeout)")
        }
    }
}
