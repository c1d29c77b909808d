import FlotillaCluster
import FlotillaCore
import Hummingbird
import Logging

/// The outermost middleware: answers every error in the surface's own shape (404 and 405 included),
/// stamps `X-Flotilla-Revision` on every response, and honours `min_revision` on GETs (contract section 0).
struct EdgeMiddleware: RouterMiddleware {
    typealias Context = FlotillaRequestContext
    let registry: RegistryCache
    let routes: RouteTable
    let logger: Logger
    /// How long a GET with `min_revision` may wait for this host to catch up.
    let consistencyWait: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let surface = Surface.of(path: request.uri.path)
        do {
            if request.method == .get, request.uri.query?.contains("min_revision") == true,
                let raw = request.uri.queryParameters["min_revision"]
            {
                guard let wanted = Int64(String(raw)), wanted >= 0 else {
                    throw FlotillaError.validation("min_revision must be a non-negative integer", field: "min_revision")
                }
                guard await registry.waitForRevision(wanted, timeout: consistencyWait) else {
                    throw FlotillaError(
                        .timeout, "This host has not applied revision \(wanted) yet",
                        details: ["minRevision": .int(wanted), "revision": .int(registry.revision)])
                }
            }
            var response = try await next(request, context)
            // A response relayed from another host may reflect a later revision than this host applied.
            let relayed = response.headers[.flotillaRevision].flatMap { Int64($0) } ?? 0
            response.headers[.flotillaRevision] = String(max(relayed, registry.revision))
            return response
        } catch let error as FlotillaError {
            if error.code == .internalError || error.code == .storeUnavailable {
                logger.error(
                    "request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)", "cause": "\(error.cause ?? "")"])
            }
            return surface.response(for: error, revision: registry.revision)
        } catch let error as RequestValidationError {
            return surface.response(for: error, revision: registry.revision)
        } catch let error as HTTPError {
            return surface.response(for: map(error, request), revision: registry.revision)
        } catch {
            logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
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
