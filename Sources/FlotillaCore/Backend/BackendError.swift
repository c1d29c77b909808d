/// Errors adapters throw; the cluster layer maps them onto ``FlotillaError``.
public enum BackendError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case unavailable(String)
    case unsupported(String)
    case failed(String)
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .notFound(let id): return "instance \(id) not found in the backend"
        case .unavailable(let m): return "backend unavailable: \(m)"
        case .unsupported(let op): return "\(op) is not supported by this backend"
        case .failed(let m): return m
        case .invalidRequest(let m): return m
        }
    }

    public func flotillaError(backend: BackendKind) -> FlotillaError {
        switch self {
        case .notFound(let id): return .instanceNotFound(id)
        case .unavailable(let m):
            return FlotillaError(
                .backendUnavailable, "\(backend.rawValue) backend is not available",
                details: ["backend": .string(backend.rawValue), "reason": .string(m)])
        case .unsupported(let op):
            return FlotillaError(
                .operationNotSupported, "\(op) is not supported by the \(backend.rawValue) backend",
                details: ["backend": .string(backend.rawValue), "operation": .string(op)])
        case .failed(let m):
            return FlotillaError(.backendError, m, details: ["backend": .string(backend.rawValue)])
        case .invalidRequest(let m):
            return FlotillaError(.validationError, m, details: ["backend": .string(backend.rawValue)])
        }
    }
}
