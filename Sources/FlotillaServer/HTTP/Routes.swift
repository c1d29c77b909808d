import FlotillaCore
import Hummingbird
import Synchronization

/// One registered route.
public struct RouteEntry: Sendable, Equatable, Hashable {
    public var method: HTTPRequest.Method
    /// Hummingbird's pattern, e.g. `/api/v1/compute/instances/:id`.
    public var path: String
    /// nil: no client credential needed (see `cluster`).
    public var permission: Permission?
    /// An internal route: only the cluster credential opens it (docs/api/surface-d-global.md, Internal routes).
    public var cluster: Bool = false

    /// Whether `requestPath` matches this route's pattern.
    func matches(_ requestPath: String) -> Bool {
        let pattern = path.split(separator: "/", omittingEmptySubsequences: true)
        let parts = requestPath.split(separator: "/", omittingEmptySubsequences: true)
        guard pattern.count == parts.count else { return false }
        return zip(pattern, parts).allSatisfy { p, s in p.hasPrefix(":") || p == s }
    }
}

/// Every route the server registers, with the permission it needs, for 405 answers and the OpenAPI test.
public final class RouteTable: Sendable {
    private let entries = Mutex<[RouteEntry]>([])

    /// The routes registered so far.
    public var all: [RouteEntry] { entries.withLock { $0 } }

    func append(_ entry: RouteEntry) { entries.withLock { $0.append(entry) } }

    /// Methods registered for a path, for 405 answers.
    func methods(matching path: String) -> [HTTPRequest.Method] {
        entries.withLock { $0.filter { $0.matches(path) }.map(\.method) }
    }
}

/// Registers routes: every route goes through here so that authorization is declared per route. Each route
/// answers in one order (ADR 0012): its credential is checked first; only then is `min_revision` honoured; the
/// handler parses and validates everything before it acts.
struct Routes {
    typealias Handler = @Sendable (Request, FlotillaRequestContext) async throws -> Response
    let router: Router<FlotillaRequestContext>
    let authenticator: Authenticator
    let credential: ClusterCredential
    let table: RouteTable
    /// `min_revision`, honoured after authentication only.
    let consistency: MinRevision
    /// The audit trail: every client call that changes something, and every refusal (ADR 0018).
    let audit: AuditRecorder

    func add(_ method: HTTPRequest.Method, _ path: String, permission: Permission?, _ handler: @escaping Handler) {
        table.append(RouteEntry(method: method, path: path, permission: permission))
        let authenticator = self.authenticator
        let credential = self.credential
        let consistency = self.consistency
        let audit = self.audit
        router.on(RouterPath(path), method: method) { request, context -> Response in
            var context = context
            do {
                if let permission {
                    context.principal = try authenticator.authorize(request, permission: permission)
                    try await consistency.wait(for: request)
                } else if MinRevision.isAsked(by: request), Self.isAuthenticated(request, authenticator, credential) {
                    // An open route honours `min_revision` for a caller with a valid credential only; an anonymous
                    // caller's is ignored (it must not hold a task, nor learn the revision from a 504).
                    try await consistency.wait(for: request)
                }
                let response = try await handler(request, context)
                await audit.record(request, context, route: path, status: Int(response.status.code))
                return response
            } catch {
                await audit.record(request, context, route: path, status: AuditRecorder.status(of: error, path: request.uri.path))
                throw error
            }
        }
    }

    /// An internal route (`/internal/...`): the cluster credential only; client keys get 403.
    func addInternal(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        table.append(RouteEntry(method: method, path: path, permission: nil, cluster: true))
        let authenticator = self.authenticator
        let credential = self.credential
        let consistency = self.consistency
        router.on(RouterPath(path), method: method) { request, context -> Response in
            try credential.authorize(request, authenticator: authenticator)
            try await consistency.wait(for: request)
            return try await handler(request, context)
        }
    }

    /// Whether `request` carries a credential this host accepts: a known client key (any role) or the cluster
    /// credential. Only for requests that need none (open routes, unknown routes), to decide what they may learn.
    static func isAuthenticated(_ request: Request, _ authenticator: Authenticator, _ credential: ClusterCredential) -> Bool {
        if credential.admits(request) { return true }
        // Not `authorize`: deciding what an open route may tell must not take a rate-limit token (ADR 0019).
        return authenticator.isValid(secret: Authenticator.credential(of: request))
    }
}
