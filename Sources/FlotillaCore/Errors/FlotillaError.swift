/// The one error type that crosses the core's boundary. Each API surface maps `code` to its own status and
/// body in exactly one place; `cause` is for logs only and never reaches a client.
public struct FlotillaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable error codes. Surface A uses the raw values verbatim.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        case instanceNotFound = "INSTANCE_NOT_FOUND"
        case invalidBackend = "INVALID_BACKEND"
        case validationError = "VALIDATION_ERROR"
        case backendUnavailable = "BACKEND_UNAVAILABLE"
        case resourceLimitExceeded = "RESOURCE_LIMIT_EXCEEDED"
        case operationNotSupported = "OPERATION_NOT_SUPPORTED"
        case invalidState = "INVALID_STATE"
        case nameConflict = "NAME_CONFLICT"
        case backendError = "BACKEND_ERROR"
        case unauthorized = "UNAUTHORIZED"
        case forbidden = "FORBIDDEN"
        case notFound = "NOT_FOUND"
        case methodNotAllowed = "METHOD_NOT_ALLOWED"
        case payloadTooLarge = "PAYLOAD_TOO_LARGE"
        case resourceNotFound = "RESOURCE_NOT_FOUND"
        case storeUnavailable = "STORE_UNAVAILABLE"
        case timeout = "TIMEOUT"
        case internalError = "INTERNAL_ERROR"
        /// The image has nothing the chosen backend can run (e.g. no kernel for `kvm`).
        case imageArtifactMissing = "IMAGE_ARTIFACT_MISSING"
        /// The host that runs an instance did not answer (offline, or past the proxy deadline).
        case hostUnreachable = "HOST_UNREACHABLE"
        /// A watch asked for history the store has compacted away.
        case revisionCompacted = "REVISION_COMPACTED"
        /// The key sent more requests than its role's rate limit allows (ADR 0019); `details.retryAfter` says in
        /// how many seconds a token is back.
        case rateLimited = "RATE_LIMITED"
    }

    public var code: Code
    public var message: String
    public var details: [String: JSONValue]
    /// The underlying cause, for logs. Never sent to clients.
    public var cause: String?

    public init(_ code: Code, _ message: String, details: [String: JSONValue] = [:], cause: String? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.cause = cause
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension FlotillaError {
    public static func instanceNotFound(_ id: String) -> FlotillaError {
        FlotillaError(.instanceNotFound, "Instance \(id) not found", details: ["id": .string(id)])
    }

    public static func validation(_ message: String, field: String? = nil) -> FlotillaError {
        FlotillaError(.validationError, message, details: field.map { ["field": .string($0)] } ?? [:])
    }

    /// A request over its key's rate limit: the next token is due in `retryAfter` seconds (rounded up to whole
    /// seconds, at least 1, as `Retry-After` carries it).
    public static func rateLimited(retryAfter: Double) -> FlotillaError {
        let seconds = retryAfterSeconds(retryAfter)
        return FlotillaError(
            .rateLimited, "Too many requests for this API key: retry in \(seconds) s", details: ["retryAfter": .int(Int64(seconds))])
    }

    /// `Retry-After` in whole seconds: rounded up, at least 1.
    public static func retryAfterSeconds(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return 1 }
        return max(1, Int(min(seconds, 86_400).rounded(.up)))
    }

    public static func invalidState(
        _ message: String, instanceId: String, currentState: InstanceState, action: String
    ) -> FlotillaError {
        FlotillaError(
            .invalidState, message,
            details: [
                "id": .string(instanceId), "currentState": .string(currentState.rawValue),
                "requestedAction": .string(action),
            ])
    }
}
