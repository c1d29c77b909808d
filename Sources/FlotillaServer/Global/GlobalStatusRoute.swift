import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// `GET /api/v2/vm/{id}/status`: the live status from the host that runs the instance. This host answers
/// from its own backend, or routes the request to the owner over the internal route; when the owner is
/// offline or does not answer within the proxy deadline: 503 `HOST_UNREACHABLE` with the registry record
/// under `last_known`, never presented as live.
struct GlobalStatusRoute {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.get, "/api/v2/vm/:id/status", permission: .read) { _, ctx in
            try await status(id: try ctx.parameters.require("id"), requestId: ctx.requestId)
        }
    }

    /// `requestId` goes with a routed call, so the owner answers (and logs) under the id the client's call has here.
    func status(id: String, requestId: String) async throws -> Response {
        let proxy = OwnerProxy(deps: deps)
        let me = deps.identity.hostId
        switch try proxy.owner(of: id) {
        case .unplaced(let record):
            return JSONResponse.make(GlobalMapping.unplacedStatus(record, servedBy: me))
        case .local(let record):
            return JSONResponse.make(try await LocalStatus(deps: deps).status(record))
        case .unreachable(let record, let worker, let reason):
            return unreachable(record, hostId: worker?.id ?? record.value.workerId ?? "", reason: reason)
        case .remote(let record, let worker):
            let answer: PeerResponse
            do {
                answer = try await proxy.call(
                    worker, .get, InternalRoutes.statusPath(record.value.id), headers: [.requestId: requestId])
            } catch let e as PeerUnreachable {
                return unreachable(record, hostId: worker.id, reason: e.reason)
            }
            guard answer.status == .ok, let body = Self.markRouted(answer.body) else { return OwnerProxy.relay(answer) }
            var response = JSONResponse.make(body: body)
            if let revision = answer.headers[.flotillaRevision] { response.headers[.flotillaRevision] = revision }
            return response
        }
    }

    /// The owner's status body with `"routed":true`. The owner encodes with this server's encoder (sorted
    /// keys, no spaces), where `"routed":false` can only be the field itself (inside strings quotes are
    /// escaped); the body is otherwise relayed byte for byte. nil when it is not such a body.
    static func markRouted(_ body: ByteBuffer) -> ByteBuffer? {
        let bytes = body.readableBytesView
        let needle = Array(#""routed":false"#.utf8)
        guard bytes.first == UInt8(ascii: "{"), let start = bytes.firstRange(of: needle)?.lowerBound else { return nil }
        var out = ByteBuffer()
        out.reserveCapacity(bytes.count)
        out.writeBytes(bytes[bytes.startIndex..<start])
        out.writeString(#""routed":true"#)
        out.writeBytes(bytes[(start + needle.count)...])
        return out
    }

    private func unreachable(_ record: Versioned<Instance>, hostId: String, reason: String) -> Response {
        let body = Global.UnreachableBody(
            error: .init(
                code: FlotillaError.Code.hostUnreachable.rawValue,
                message:
                    "Host \(hostId) that runs instance \(record.value.id) is unreachable (\(reason)); last_known is the registry record, not live",
                details: ["hostId": hostId, "id": record.value.id, "reason": reason]),
            lastKnown: GlobalMapping.vm(record, in: deps.registry.snapshot))
        return JSONResponse.make(body, status: .serviceUnavailable)
    }
}

/// The owner's side: the status of an instance on this host, from its backend.
struct LocalStatus {
    let deps: ServerDependencies

    func status(_ record: Versioned<Instance>) async throws -> Global.Status {
        let live = try await deps.instances.live(id: record.value.id)
        return GlobalMapping.status(live, record: record, servedBy: deps.identity.hostId, in: deps.registry.snapshot)
    }
}
