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
    /// An internal route: only the cluster credential opens it (contract section 0).
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

/// Registers routes: every route goes through here so that authorization is declared per route.
struct Routes {
    typealias Handler = @Sendable (Request, FlotillaRequestContext) async throws -> Response
    let router: Router<FlotillaRequestContext>
    let authenticator: Authenticator
    let credential: ClusterCredential
    let table: RouteTable

    func add(_ method: HTTPRequest.Method, _ path: String, permission: Permission?, _ handler: @escaping Handler) {
        table.append(RouteEntry(method: method, path: path, permission: permission))
        let authenticator = self.authenticator
        router.on(RouterPath(path), method: method) { request, context -> Response in
            var context = context
            if let permission {
                context.principal = try authenticator.authorize(request, permission: permission)
            }
            return try await handler(request, context)
        }
    }

    /// An internal route (`/internal/...`): the cluster credential only; client keys get 403.
    func addInternal(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        table.append(RouteEntry(method: method, path: path, permission: nil, cluster: true))
        let authenticator = self.authenticator
        let credential = self.credential
        router.on(RouterPath(path), method: method) { request, context -> Response in
            try credential.authorize(request, authenticator: authenticator)
            return try await handler(request, context)
        }
    }
}
