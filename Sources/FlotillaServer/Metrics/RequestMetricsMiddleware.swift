import Hummingbird

/// Counts and times every HTTP request by surface, route template, method and status, errors included: it wraps
/// ``EdgeMiddleware``, so it sees the status the client gets. The route is the template Hummingbird matched
/// (`unmatched` when none did). The time is until the response head: a stream (`/api/v2/events`) is not timed to
/// its end. A request whose client went away before its body ended has no status and is not counted.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = FlotillaRequestContext
    let metrics: HostMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard metrics.isEnabled else { return try await next(request, context) }
        let started = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordRequest(
            endpointPath: context.endpointPath, method: request.method, status: Int(response.status.code), .now - started)
        return response
    }
}
