import AsyncHTTPClient
import Instrumentation
import NIOHTTP1
import ServiceContextModule
import Tracing

/// The routing hop's part of a trace (ADR 0022): a client span around a call to another host, whose context
/// goes out as `traceparent`/`tracestate` so that the other host's server span continues this host's trace.
enum PeerTraceInjector {
    /// Starts the client span of a call to `url` and writes its context into `headers`. End the span when the
    /// answer is in. Without a bootstrapped tracer: a no-op span, no header.
    static func start(method: String, url: String, headers: inout HTTPHeaders) -> any Span {
        let span = startSpan("peer \(method)", ofKind: .client)
        if span.isRecording {
            span.updateAttributes { attributes in
                attributes["http.request.method"] = method
                attributes["url.full"] = url
            }
        }
        InstrumentationSystem.instrument.inject(span.context, into: &headers, using: Injector())
        return span
    }

    private struct Injector: Instrumentation.Injector {
        func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
            headers.replaceOrAdd(name: key, value: value)
        }
    }
}
