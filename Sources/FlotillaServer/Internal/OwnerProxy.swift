import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird

/// Finds the host that runs an instance and calls it (surface D's proxy routing; surfaces A and C use it for
/// the calls that need the owner's backend). One pooled transport, a deadline on every call.
struct OwnerProxy {
    let deps: ServerDependencies

    /// Where an instance's live data is.
    enum Owner {
        /// Not placed yet: nothing runs anywhere; the registry is the whole truth.
        case unplaced(Versioned<Instance>)
        case local(Versioned<Instance>)
        case remote(Versioned<Instance>, Worker)
        /// Placed on a host that is offline or not registered: do not try, answer at once.
        case unreachable(Versioned<Instance>, worker: Worker?, reason: String)
    }

    func owner(of id: String) throws -> Owner {
        let record = try deps.instances.record(id: id)
        guard let workerId = record.value.workerId, record.value.state != .pending else { return .unplaced(record) }
        if workerId == deps.identity.hostId { return .local(record) }
        let (worker, status) = deps.registry.read { s in (s.workers[workerId]?.value, s.status(ofWorker: workerId)) }
        guard let worker else { return .unreachable(record, worker: nil, reason: "host \(workerId) is not registered") }
        if status == .offline { return .unreachable(record, worker: worker, reason: "host \(workerId) is offline") }
        return .remote(record, worker)
    }

    /// Calls `path` (with its query) on `worker` with the cluster credential, within the proxy deadline (or `timeout`).
    func call(
        _ worker: Worker, _ method: HTTPRequest.Method, _ pathAndQuery: String, headers: HTTPFields = [:], body: ByteBuffer? = nil,
        timeout: Duration? = nil
    ) async throws -> PeerResponse {
        var fields = headers
        fields[.clusterToken] = deps.credential.token
        fields[.forwardedBy] = deps.identity.hostId
        let base = worker.address.hasSuffix("/") ? String(worker.address.dropLast()) : worker.address
        // The hop's latency by outcome (`flotilla_proxy_hop_duration_seconds`, ADR 0021).
        let started = ContinuousClock.now
        do {
            let answer = try await deps.peers.send(
                PeerRequest(method: method, url: base + pathAndQuery, headers: fields, body: body), timeout: timeout ?? deps.proxyTimeout)
            deps.metrics.recordProxyHop("ok", .now - started)
            return answer
        } catch {
            deps.metrics.recordProxyHop(error is PeerUnreachable ? "unreachable" : "error", .now - started)
            throw error
        }
    }

    /// Calls `pathAndQuery` on `worker` with the cluster credential and returns once its answer's head came,
    /// within the proxy deadline; the body then streams without a deadline (a followed log, ADR 0024).
    func stream(_ worker: Worker, _ pathAndQuery: String, headers: HTTPFields = [:]) async throws -> PeerStream {
        var fields = headers
        fields[.clusterToken] = deps.credential.token
        fields[.forwardedBy] = deps.identity.hostId
        let base = worker.address.hasSuffix("/") ? String(worker.address.dropLast()) : worker.address
        return try await deps.peers.stream(
            PeerRequest(method: .get, url: base + pathAndQuery, headers: fields), connectTimeout: deps.proxyTimeout)
    }

    /// Whether this request was already forwarded to this host by another one (then it is answered here).
    func wasForwarded(_ request: Request) -> Bool {
        request.headers[.forwardedBy] != nil && deps.credential.admits(request)
    }

    /// For surface A and C routes that need the owner's backend: forwards the request unchanged (the client's
    /// own credential, which every host knows, plus the cluster credential) when another host runs the
    /// instance, and relays its answer (within the proxy deadline, or `timeout` for a call that acts that long).
    /// nil when this host should answer itself.
    func forwardIfRemote(_ request: Request, id: String, context: FlotillaRequestContext, timeout: Duration? = nil) async throws
        -> Response?
    {
        guard !wasForwarded(request) else { return nil }
        let owner: Owner
        do { owner = try self.owner(of: id) } catch { return nil }
        switch owner {
        case .unplaced, .local:
            return nil
        case .unreachable(let record, let worker, let reason):
            throw Self.unreachable(record.value, hostId: worker?.id ?? record.value.workerId ?? "", reason: reason)
        case .remote(let record, let worker):
            do {
                return try await relayed(request, to: worker, timeout: timeout, context: context)
            } catch let e as PeerUnreachable {
                throw Self.unreachable(record.value, hostId: worker.id, reason: e.reason)
            }
        }
    }

    /// Forwards `request` unchanged (as ``forwardIfRemote(_:id:context:)``) to worker `workerId` when it is another
    /// host that is online, and relays its answer within `timeout`; nil when this host should answer itself (it is
    /// this host, the request was forwarded already, or the worker is offline). An online worker that does not answer
    /// is BACKEND_UNAVAILABLE (503): it may have begun, so this host does not do it a second time.
    func forwardToWorker(_ request: Request, workerId: String, timeout: Duration, context: FlotillaRequestContext) async throws
        -> Response?
    {
        guard workerId != deps.identity.hostId, !wasForwarded(request) else { return nil }
        let (worker, status) = deps.registry.read { s in (s.workers[workerId]?.value, s.status(ofWorker: workerId)) }
        guard let worker, status != .offline else { return nil }
        do {
            return try await relayed(request, to: worker, timeout: timeout, context: context)
        } catch let e as PeerUnreachable {
            throw FlotillaError(
                .backendUnavailable, "Host \(workerId) did not answer the forwarded request: \(e.reason)",
                details: ["workerId": .string(workerId), "reason": .string("HOST_UNREACHABLE")])
        }
    }

    /// Sends `request` to `worker` with the client's own credential plus the cluster credential; its answer.
    private func relayed(_ request: Request, to worker: Worker, timeout: Duration?, context: FlotillaRequestContext) async throws
        -> Response
    {
        var headers = HTTPFields()
        for name in [HTTPField.Name.apiKey, .authorization, .contentType, .accept, .idempotencyKey] {
            if let value = request.headers[name] { headers[name] = value }
        }
        // The owner answers under the same request id, so its log lines name the call the client made.
        headers[.requestId] = context.requestId
        let body = try await request.collectLimitedBody(context: context)
        let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        let answer = try await call(
            worker, request.method, target, headers: headers, body: body.readableBytes > 0 ? body : nil, timeout: timeout)
        return Self.relay(answer)
    }

    /// The owner's answer as this host's response (status, body, content type, revision).
    static func relay(_ answer: PeerResponse) -> Response {
        var headers = HTTPFields()
        for name in [HTTPField.Name.contentType, .flotillaRevision, .wwwAuthenticate] {
            if let value = answer.headers[name] { headers[name] = value }
        }
        return Response(status: answer.status, headers: headers, body: ResponseBody(byteBuffer: answer.body))
    }

    /// Surfaces A and C: the owner is unreachable (their documented BACKEND_UNAVAILABLE, 503).
    static func unreachable(_ instance: Instance, hostId: String, reason: String) -> FlotillaError {
        FlotillaError(
            .backendUnavailable, "Host \(hostId) that runs instance \(instance.id) is unreachable: \(reason)",
            details: ["workerId": .string(hostId), "id": .string(instance.id), "reason": .string("HOST_UNREACHABLE")])
    }
}
