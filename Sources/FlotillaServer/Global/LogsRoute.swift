import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /api/v2/instances/{id}/logs?tail=N&follow=true|false` (ADR 0024): an instance's log as
/// `text/plain; charset=utf-8`: its last `tail` lines (default 100, at most 10000), then, when following, what
/// it writes next, streamed until it stops or is deleted or the client leaves. Docker: stdout and stderr; KVM:
/// the serial console; sim: its lifecycle record. Any host answers: the host that runs the instance reads it and
/// this host relays the stream as it comes. Errors come before the first byte, in surface D's body: 404 unknown
/// instance, 409 not placed yet, 503 owner unreachable; a backend failing after the first byte ends the
/// stream with a last line `flotilla: <message>`.
struct LogsRoute {
    let deps: ServerDependencies
    static let path = "/api/v2/instances/:id/logs"
    /// Largest error body relayed from the owner.
    static let errorBodyLimit = 1 << 20
    static let contentType = "text/plain; charset=utf-8"

    func register(_ routes: Routes) {
        routes.add(.get, Self.path, permission: .read) { req, ctx in try await logs(req, ctx) }
    }

    func logs(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        let tail = try req.queryInt("tail", default: InstanceLogLimits.defaultTail, range: 0...InstanceLogLimits.maxTail)
        let follow = try req.queryBool("follow", default: false)
        let id = try ctx.parameters.require("id")
        let proxy = OwnerProxy(deps: deps)
        if !proxy.wasForwarded(req) {
            switch try proxy.owner(of: id) {
            case .unplaced, .local:
                break
            case .unreachable(let record, let worker, let reason):
                throw OwnerProxy.unreachable(record.value, hostId: worker?.id ?? record.value.workerId ?? "", reason: reason)
            case .remote(let record, let worker):
                return try await relay(req, ctx, instance: record.value, worker: worker)
            }
        }
        let source = try await deps.instances.logs(id: id, tail: tail, follow: follow)
        return Self.textResponse { writer in
            do {
                try await source.read { bytes in try await writer.write(ByteBuffer(bytes: bytes)) }
            } catch let error as FlotillaError {
                try await writer.write(ByteBuffer(string: "flotilla: \(error.message)\n"))
            }
        }
    }

    /// Asks the owner for the same log and relays its answer: a 200 as a stream, piece by piece as it comes;
    /// anything else (its error body) whole.
    private func relay(
        _ req: Request, _ ctx: FlotillaRequestContext, instance: Instance, worker: Worker
    ) async throws -> Response {
        var headers = HTTPFields()
        for name in [HTTPField.Name.apiKey, .authorization, .accept] {
            if let value = req.headers[name] { headers[name] = value }
        }
        headers[.requestId] = ctx.requestId
        let target = req.uri.path + (req.uri.query.map { "?" + $0 } ?? "")
        let answer: PeerStream
        do {
            answer = try await OwnerProxy(deps: deps).stream(worker, target, headers: headers)
        } catch let e as PeerUnreachable {
            throw OwnerProxy.unreachable(instance, hostId: worker.id, reason: e.reason)
        }
        guard answer.status == .ok else {
            var body = ByteBuffer()
            try await answer.body { piece in
                let room = Self.errorBodyLimit - body.readableBytes
                if room > 0, var kept = piece.getSlice(at: piece.readerIndex, length: min(room, piece.readableBytes)) {
                    body.writeBuffer(&kept)
                }
            }
            return OwnerProxy.relay(PeerResponse(status: answer.status, headers: answer.headers, body: body))
        }
        return Self.textResponse { writer in
            try await answer.body { piece in try await writer.write(piece) }
        }
    }

    /// A streamed `text/plain` answer; whatever ends `write` early (the client or the owner left) just ends it.
    private static func textResponse(
        _ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void
    ) -> Response {
        let body = ResponseBody { writer in
            do { try await write(&writer) } catch {}
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"], body: body)
    }
}
