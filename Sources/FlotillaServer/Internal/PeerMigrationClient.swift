import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import NIOCore

/// The source's calls to a live migration's destination over the internal API (``MigrationRoutes``), with the cluster
/// credential and a deadline on each (docs/decisions/0027-live-migration.md).
public struct PeerMigrationClient: MigrationPeers {
    let peers: any PeerTransport
    let credential: ClusterCredential
    let hostId: String

    public init(peers: any PeerTransport, credential: ClusterCredential, hostId: String) {
        self.peers = peers
        self.credential = credential
        self.hostId = hostId
    }

    public func prepare(_ id: String, on destination: Worker, revision: Revision, sharedStorage: String?, timeout: Duration)
        async throws -> IncomingMigration
    {
        let body = try JSONEncoder().encode(
            MigrationRoutes.PrepareRequest(source: hostId, revision: revision, sharedStorage: sharedStorage))
        let answer = try await call(destination, MigrationRoutes.path(id, "prepare"), body, timeout: timeout)
        do {
            return try JSONDecoder().decode(IncomingMigration.self, from: Data(answer.readableBytesView))
        } catch {
            throw MigrationPeerError("host \(destination.id) answered prepare with an unreadable body")
        }
    }

    public func complete(_ id: String, on destination: Worker, timeout: Duration) async throws {
        let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let body = try JSONEncoder().encode(MigrationRoutes.CompleteRequest(timeoutMilliseconds: ms))
        // The destination waits up to `timeout`: the call has a little more.
        _ = try await call(destination, MigrationRoutes.path(id, "complete"), body, timeout: timeout + .seconds(5))
    }

    public func abort(_ id: String, on destination: Worker, timeout: Duration) async throws {
        _ = try await call(destination, MigrationRoutes.path(id, "abort"), Data("{}".utf8), timeout: timeout)
    }

    /// POSTs `body` to `path` on `worker`; the answer's body when it is a 2xx, else throws with the host's reason.
    private func call(_ worker: Worker, _ path: String, _ body: Data, timeout: Duration) async throws -> ByteBuffer {
        var headers = HTTPFields()
        headers[.clusterToken] = credential.token
        headers[.forwardedBy] = hostId
        headers[.contentType] = "application/json"
        let base = worker.address.hasSuffix("/") ? String(worker.address.dropLast()) : worker.address
        let answer: PeerResponse
        do {
            answer = try await peers.send(
                PeerRequest(method: .post, url: base + path, headers: headers, body: ByteBuffer(bytes: body)), timeout: timeout)
        } catch let e as PeerUnreachable {
            throw MigrationPeerError("host \(worker.id) could not be reached: \(e.reason)")
        }
        guard (200..<300).contains(answer.status.code) else {
            throw MigrationPeerError("host \(worker.id) answered \(answer.status.code): \(Self.message(answer.body))")
        }
        return answer.body
    }

    /// The message of an error body (any surface's shape), or its first characters.
    static func message(_ body: ByteBuffer) -> String {
        let data = Data(body.readableBytesView.prefix(4096))
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let message = object["message"] as? String { return message }
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
        }
        return String(decoding: data.prefix(300), as: UTF8.self)
    }
}
