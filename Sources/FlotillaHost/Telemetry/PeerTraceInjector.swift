import AsyncHTTPClient
import FlotillaCluster
import Instrumentation
import NIOHTTP1
import ServiceContextModule
import Tracing

/// The routing hop's part of a trace (ADR 0022): a client span around a call to another host, whose context
/// goes out as `traceparent`/`tracestate` so that the other host's server span continues this host's trace.
enum PeerTraceInjector {
    /// Starts the client span of a call to `url` and writes its context into `headers`. End the span when the
    /// answer is in. Work nobody records (``TraceSampling``) gets a no-op span, and the other host is told so: the
    /// caller's own unsampled `traceparent` when there was one, else a fresh one with the sampled flag clear, so
    /// that it does not start a trace of its own. Without a bootstrapped tracer: a no-op span, no header.
    static func start(method: String, url: String, headers: inout HTTPHeaders) -> any Span {
        let decision = TraceSampling.currentOrNew()
        let context = TraceSampling.context(ServiceContext.current ?? .topLevel, decision)
        guard decision == .recorded else {
            InstrumentationSystem.instrument.inject(context, into: &headers, using: Injector())
            let instrument = InstrumentationSystem.instrument
            if !(instrument is NoOpInstrument || instrument is NoOpTracer), !headers.contains(name: "traceparent") {
                headers.replaceOrAdd(name: "traceparent", value: TraceSampling.unsampledTraceParent())
            }
            return NoOpTracer.NoOpSpan(context: context)
        }
        let span = startSpan("peer \(method)", context: context, ofKind: .client)
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
