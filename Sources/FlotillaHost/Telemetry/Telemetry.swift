import FlotillaCluster
import FlotillaServer
import Foundation
import Instrumentation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// The process-wide logging and tracing bootstrap of `flotilla serve`, done once per process and only there:
/// in-process hosts (tests, benchmarks) never bootstrap, so they log through their own handlers and record no
/// span (ADR 0022).
public enum Telemetry {
    /// The metadata every log line gets from the task that writes it: `requestId` while serving a request
    /// (``RequestScope``), and with tracing on `traceId` and `spanId` of the current span.
    public static func metadataProvider(tracing: Bool) -> Logger.MetadataProvider {
        let request = Logger.MetadataProvider {
            guard let id = RequestScope.requestId else { return [:] }
            return ["requestId": .string(id)]
        }
        guard tracing else { return request }
        var keys = OTel.Configuration.LoggingMetadataProviderConfiguration.default
        keys.traceIDKey = "traceId"
        keys.spanIDKey = "spanId"
        keys.traceFlagsKey = "traceFlags"
        return .multiplex([request, OTel.makeLoggingMetadataProvider(configuration: keys)]) ?? request
    }

    /// Bootstraps swift-log: `format` lines on standard error at `level`, with ``metadataProvider(tracing:)``.
    public static func bootstrapLogging(format: LogFormat, level: Logger.Level, tracing: Bool) {
        LoggingSystem.bootstrap(
            { label, provider in
                switch format {
                case .text:
                    var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                    handler.logLevel = level
                    return handler
                case .json:
                    var handler = JSONLogHandler(label: label, metadataProvider: provider)
                    handler.logLevel = level
                    return handler
                }
            }, metadataProvider: metadataProvider(tracing: tracing))
    }

    /// Bootstraps the tracer: spans exported over OTLP/HTTP to `endpoint` (a collector's base URL, to which
    /// `/v1/traces` is added unless it already ends so), as service `flotilla` with `host.id` = `hostId`, W3C
    /// trace context propagation. The standard `OTEL_*` variables still apply (`OTEL_EXPORTER_OTLP_PROTOCOL`,
    /// `OTEL_BSP_SCHEDULE_DELAY`, ...). New traces are recorded at `sampleRatio`, a trace whose caller sampled it always
    /// (``TraceSampling``; `OTEL_TRACES_SAMPLER` applies on top of it). OTel's metrics and logs stay off. Returns the exporter and its batch
    /// processor as one service: run it in the host's service group, where its graceful shutdown flushes the spans
    /// still queued.
    public static func bootstrapTracing(endpoint: String, hostId: String, sampleRatio: Double = 1, logger: Logger) throws
        -> any Service
    {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "flotilla"
        configuration.resourceAttributes = ["host.id": hostId]
        configuration.diagnosticLogger = .custom(logger)
        // swift-otel's warning about a malformed `traceparent` quotes every header of the request, API keys and
        // the cluster token among them: secrets are never logged, and one bad header per request must not
        // flood the log. Its errors (an export that failed) stay.
        configuration.diagnosticLogLevel = .error
        configuration.propagators = [.traceContext]
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.otlpExporter.endpoint = tracesURL(endpoint)
        // The head decision is Flotilla's own (TraceSampling: a request or duty it passes over gets no span at all);
        // swift-otel records what it admits, and `OTEL_TRACES_SAMPLER` can still narrow that down.
        TraceSampling.ratio = sampleRatio
        configuration.traces.sampler = .parentBasedAlwaysOn
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }

    /// `endpoint` with `/v1/traces`, the OTLP/HTTP traces path, unless it already ends so.
    public static func tracesURL(_ endpoint: String) -> String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1/traces") ? base : base + "/v1/traces"
    }

    /// Whether `endpoint` is an http or https URL with a host (checked before anything starts).
    public static func isValidEndpoint(_ endpoint: String) -> Bool {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return false
        }
        return scheme == "http" || scheme == "https"
    }
}
