import FlotillaCluster
import Hummingbird
import Instrumentation
import ServiceContextModule
import Tracing

/// The outermost middleware: runs each request inside a server span named `<METHOD> <route template>` that
/// continues the caller's trace when the request carries a W3C `traceparent` (and `tracestate`), extracted with
/// the bootstrapped instrument's propagation. A malformed header is ignored: the request starts a new trace and
/// is answered as it would be without it. Whether the request is recorded is ``TraceSampling``'s head decision: the
/// caller's sampled flag, else ``TraceSampling/ratio`` of new traces; one not recorded has no span at all. Without
/// a bootstrapped tracer (the default, and every in-process host) the span is a no-op and nothing is recorded
/// (ADR 0022).
struct TraceMiddleware: RouterMiddleware {
    typealias Context = FlotillaRequestContext
    /// The bootstrapped tracer, looked up once: the lookup takes a lock and casts, on every request otherwise
    /// (`serve` bootstraps before it builds the router; a no-op tracer without a bootstrap).
    let tracer: any Tracer

    init(tracer: any Tracer = InstrumentationSystem.tracer) {
        self.tracer = tracer
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var parent = ServiceContext.current ?? .topLevel
        let carrier = TraceHeaders(request.headers)
        let callerSampled = carrier?["traceparent"].flatMap(TraceParent.sampled)
        if let carrier, callerSampled != nil {
            tracer.extract(carrier, into: &parent, using: HTTPFieldsExtractor())
        }
        // The head sampler (ADR 0022): a request nobody records runs with no span at all, its caller's context
        // (if any) carried on to the hops it makes.
        let decision = TraceSampling.decide(callerSampled: callerSampled, roll: TraceSampling.roll(), ratio: TraceSampling.ratio)
        parent = TraceSampling.context(parent, decision)
        guard decision == .recorded else {
            return try await ServiceContext.withValue(parent) { try await next(request, context) }
        }
        let span = tracer.startSpan(request.method.rawValue, context: parent, ofKind: .server)
        defer { span.end() }
        do {
            let response = try await ServiceContext.withValue(span.context) { try await next(request, context) }
            finish(span, request, context: context, status: Int(response.status.code), requestId: response.headers[.requestId])
            return response
        } catch {
            finish(span, request, context: context, status: nil, requestId: nil)
            span.recordError(error)
            throw error
        }
    }

    /// Names the span after the route the router matched (known only once it ran) and records the request and its
    /// answer, in one update: a span the sampler dropped costs nothing here.
    private func finish(_ span: any Span, _ request: Request, context: Context, status: Int?, requestId: String?) {
        guard span.isRecording else { return }
        let method = request.method.rawValue
        if let route = context.endpointPath, route != "NotFound" { span.operationName = "\(method) \(route)" }
        span.updateAttributes { attributes in
            attributes["http.request.method"] = method
            attributes["url.path"] = request.uri.path
            attributes["flotilla.surface"] = "\(Surface.of(path: request.uri.path))"
            attributes["http.route"] = context.endpointPath
            attributes["http.response.status_code"] = status
            attributes["flotilla.request_id"] = requestId
        }
        if (status ?? 500) >= 500 { span.setStatus(SpanStatus(code: .error)) }
    }
}
