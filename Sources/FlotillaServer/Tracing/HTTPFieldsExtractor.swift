import HTTPTypes
import Instrumentation

/// The W3C trace-context headers of an incoming request, and nothing else: the carrier handed to the
/// bootstrapped instrument, which may log a carrier it cannot read (swift-otel does, whole), so that no other
/// header (an API key, the cluster token) can reach a log line (ADR 0022).
struct TraceHeaders: Sendable, CustomStringConvertible {
    static let names: [HTTPField.Name] = [HTTPField.Name(constant: "traceparent"), HTTPField.Name(constant: "tracestate")]
    private var values: [String: String] = [:]

    /// nil when the request carries no trace context (nothing to extract).
    init?(_ headers: HTTPFields) {
        for name in Self.names { if let value = headers[name] { values[name.canonicalName] = value } }
        if values.isEmpty { return nil }
    }

    subscript(name: String) -> String? { values[name.lowercased()] }

    var description: String { values.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
}

/// Reads `traceparent` and `tracestate` from ``TraceHeaders`` for the bootstrapped instrument (ADR 0022).
struct HTTPFieldsExtractor: Extractor {
    func extract(key name: String, from headers: TraceHeaders) -> String? { headers[name] }
}
