import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Records client calls in the audit trail (ADR 0018), from ``Routes/add(_:_:permission:_:)``: every call whose
/// method is not GET or HEAD, and every 401, 403 and 429 on any route. A request another host forwarded is not
/// recorded here: the host that received it from the client did. The write is awaited (within ``AuditLog``'s
/// deadline) and never changes the answer.
struct AuditRecorder: Sendable {
    let log: AuditLog
    let authenticator: Authenticator
    let credential: ClusterCredential
    let clock: WallClock
    let logger: Logger

    init(
        log: AuditLog, authenticator: Authenticator, credential: ClusterCredential, clock: WallClock = .system,
        logger: Logger
    ) {
        self.log = log
        self.authenticator = authenticator
        self.credential = credential
        self.clock = clock
        self.logger = logger
    }

    /// The route parameters that name a call's target, in the order they are looked for.
    static let targetParameters = ["id", "uuid", "key", "name"]

    /// Whether a call with this method and answer goes into the trail.
    static func isRecorded(method: HTTPRequest.Method, status: Int) -> Bool {
        (method != .get && method != .head) || status == 401 || status == 403 || status == 429
    }

    /// Records the call `request` made to `route` (answered `status`) unless it is not recorded.
    func record(_ request: Request, _ context: FlotillaRequestContext, route: String, status: Int) async {
        guard Self.isRecorded(method: request.method, status: status) else { return }
        if let from = request.headers[.forwardedBy], credential.admits(request) {
            logger.debug(
                "answered a call another host forwarded; that host recorded it",
                metadata: ["requestId": "\(context.requestId)", "forwardedBy": "\(from)", "route": "\(route)", "status": "\(status)"])
            return
        }
        let principal = context.principal ?? authenticator.identify(secret: Authenticator.credential(of: request))
        let target = Self.targetParameters.lazy.compactMap { context.parameters.get($0) }.first
        let at = clock.now
        await log.record(
            AuditRecord(
                id: ULID(date: at).description, at: at, requestId: context.requestId, keyId: principal?.keyId,
                keyName: principal?.name, role: principal?.role, remoteAddress: context.remoteAddress,
                surface: Self.surfaceName(path: request.uri.path), method: request.method.rawValue, route: route,
                targetId: target, status: status))
    }

    /// The status the edge answers a thrown error with (``EdgeMiddleware``'s mapping, without building the body);
    /// 499 for a client that went away mid-body (nothing is answered).
    static func status(of error: any Error, path: String) -> Int {
        let surface = Surface.of(path: path)
        switch error {
        case let error as FlotillaError: return Int(surface.status(of: error.code).code)
        case is RequestValidationError: return surface == .vms ? 422 : 400
        case let error as HTTPError:
            switch error.status {
            case .badRequest: return Int(surface.status(of: .validationError).code)
            case .contentTooLarge, .notFound: return Int(error.status.code)
            default: return 500
            }
        case is AbandonedUpload: return 499
        default: return 500
        }
    }

    /// The record's `surface`: `global` (surface D, `/api/v2`), `keys`, `compute` (A), `workers` (B), `vms` (C) or
    /// `flintlock` (E's HTTP gateway).
    static func surfaceName(path: String) -> String {
        if path.hasPrefix("/api/v2/") { return "global" }
        if path.hasPrefix("/api/v1/keys") { return "keys" }
        switch Surface.of(path: path) {
        case .compute: return "compute"
        case .vms: return "vms"
        case .workers: return "workers"
        case .flintlock: return "flintlock"
        }
    }
}
