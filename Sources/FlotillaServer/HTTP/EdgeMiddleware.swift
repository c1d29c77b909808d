import FlotillaCluster
import FlotillaCore
import Hummingbird
import Logging

/// The outermost middleware: answers every error in the surface's own shape (404 and 405 included) and stamps
/// `X-Flotilla-Revision` on responses (docs/api/surface-a-compute.md, shared rules), except where it would tell a
/// caller without a credential anything: never on a 401, nor on an unknown route's 404/405 to such a caller (ADR 0012).
/// `min_revision` is not honoured here but per route, after authentication (``Routes``). It gives every request its id
/// (``RequestId``: the client's `X-Request-Id` if safe, else a new one), in the context and its logger, and returns it
/// as `X-Request-Id` on every response, errors included (ADR 0018).
struct EdgeMiddleware: RouterMiddleware {
    typealias Context = FlotillaRequestContext
    let registry: RegistryCache
    let routes: RouteTable
    let authenticator: Authenticator
    let credential: ClusterCredential
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestId = RequestId.resolve(request.headers[.requestId])
        context.logger[metadataKey: "requestId"] = "\(context.requestId)"
        var response: Response
        do {
            // Every log line written while serving the request names it (ADR 0022).
            response = try await RequestScope.$requestId.withValue(context.requestId) { try await next(request, context) }
            // A response relayed from another host may reflect a later revision than this host applied.
            let relayed = response.headers[.flotillaRevision].flatMap { Int64($0) } ?? 0
            response.headers[.flotillaRevision] = String(max(relayed, registry.revision))
        } catch let error as AbandonedUpload {
            // The client went away mid-body: nothing to answer, nothing wrong here. The HTTP server closes the
            // connection on its own error.
            logger.debug(
                "request abandoned by the client before its body ended",
                metadata: ["path": "\(request.uri.path)", "requestId": "\(context.requestId)", "error": "\(error.cause)"])
            throw error.cause
        } catch {
            response = self.response(for: error, request, requestId: context.requestId)
        }
        if response.status == .unauthorized { response.headers[.flotillaRevision] = nil }
        response.headers[.requestId] = context.requestId
        return response
    }

    /// The surface's answer to an error thrown by a route (or by the router: no route, wrong method).
    private func response(for error: any Error, _ request: Request, requestId: String) -> Response {
        let surface = Surface.of(path: request.uri.path)
        switch error {
        case let error as FlotillaError:
            if error.code == .internalError || error.code == .storeUnavailable {
                logger.error(
                    "request failed",
                    metadata: [
                        "path": "\(request.uri.path)", "requestId": "\(requestId)", "error": "\(error)", "cause": "\(error.cause ?? "")",
                    ])
            }
            return surface.response(for: error, revision: registry.revision)
        case let error as RequestValidationError:
            return surface.response(for: error, revision: registry.revision)
        case let error as HTTPError:
            var response = surface.response(for: map(error, request), revision: registry.revision)
            // No route matched, so no route checked a credential: only a caller with one learns the revision.
            if !Routes.isAuthenticated(request, authenticator, credential) { response.headers[.flotillaRevision] = nil }
            return response
        default:
            logger.error(
                "unexpected error", metadata: ["path": "\(request.uri.path)", "requestId": "\(requestId)", "error": "\(error)"])
            return surface.response(for: FlotillaError(.internalError, "Internal error"), revision: registry.revision)
        }
    }

    private func map(_ error: HTTPError, _ request: Request) -> FlotillaError {
        switch error.status {
        case .notFound:
            let allowed = routes.methods(matching: request.uri.path)
            if !allowed.isEmpty {
                return FlotillaError(
                    .methodNotAllowed, "Method \(request.method.rawValue) is not allowed on \(request.uri.path)",
                    details: ["allowed": .array(allowed.map { .string($0.rawValue) })])
            }
            return FlotillaError(.notFound, "No route for \(request.method.rawValue) \(request.uri.path)")
        case .contentTooLarge:
            return FlotillaError(.payloadTooLarge, "Request body is larger than \(HTTPLimits.maxBody) bytes")
        case .badRequest:
            return FlotillaError(.validationError, error.body ?? "Bad request")
        default:
            return FlotillaError(.internalError, error.body ?? "Request failed")
        }
    }
}
