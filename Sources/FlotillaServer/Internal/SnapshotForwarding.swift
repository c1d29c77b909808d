import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird

extension OwnerProxy {
    /// Forwards a snapshot call to the host that keeps the snapshot (docs/decisions/0028-snapshots.md) with the
    /// client's own credential plus the cluster credential, and relays its answer; 503 HOST_UNREACHABLE at once
    /// when that host is offline or unknown, or does not answer within the proxy deadline.
    func forward(_ request: Request, toHolder hostId: String, snapshotId: String, context: FlotillaRequestContext) async throws
        -> Response
    {
        let (worker, status) = deps.registry.read { s in (s.workers[hostId]?.value, s.status(ofWorker: hostId)) }
        guard let worker, status != .offline else {
            throw Self.holderUnreachable(
                snapshotId, hostId: hostId, reason: "host \(hostId) is \(worker == nil ? "not registered" : "offline")")
        }
        var headers = HTTPFields()
        for name in [HTTPField.Name.apiKey, .authorization, .contentType, .accept] {
            if let value = request.headers[name] { headers[name] = value }
        }
        headers[.requestId] = context.requestId
        let body = try await request.collectLimitedBody(context: context)
        let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        do {
            return Self.relay(
                try await call(worker, request.method, target, headers: headers, body: body.readableBytes > 0 ? body : nil))
        } catch let e as PeerUnreachable {
            throw Self.holderUnreachable(snapshotId, hostId: hostId, reason: e.reason)
        }
    }

    static func holderUnreachable(_ snapshotId: String, hostId: String, reason: String) -> FlotillaError {
        FlotillaError(
            .backendUnavailable, "Host \(hostId) that keeps snapshot \(snapshotId) is unreachable: \(reason)",
            details: ["workerId": .string(hostId), "id": .string(snapshotId), "reason": .string("HOST_UNREACHABLE")])
    }
}
