import HTTPTypes
import Instrumentation

/// Reads propagation headers (`traceparent`, `tracestate`) from an incoming request for the bootstrapped
/// instrument (ADR 0022).
struct HTTPFieldsExtractor: Extractor {
    func extract(key name: String, from headers: HTTPFields) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }
}
