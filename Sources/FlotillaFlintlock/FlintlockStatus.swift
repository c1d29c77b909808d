import FlotillaCore
import GRPCCore

/// How surface E reports a `FlotillaError`: one gRPC status per code, and the HTTP status the gateway gives that
/// gRPC status (grpc-gateway's table). Bad requests are never UNKNOWN or INTERNAL.
public enum FlintlockStatus {
    public static func code(of code: FlotillaError.Code) -> RPCError.Code {
        switch code {
        case .validationError, .invalidBackend: return .invalidArgument
        case .instanceNotFound, .notFound, .resourceNotFound: return .notFound
        case .nameConflict: return .alreadyExists
        case .unauthorized: return .unauthenticated
        case .forbidden: return .permissionDenied
        case .invalidState, .imageArtifactMissing, .operationNotSupported: return .failedPrecondition
        case .resourceLimitExceeded, .payloadTooLarge, .rateLimited: return .resourceExhausted
        case .backendUnavailable, .storeUnavailable, .hostUnreachable: return .unavailable
        case .revisionCompacted: return .outOfRange
        case .timeout: return .deadlineExceeded
        case .methodNotAllowed: return .unimplemented
        case .backendError, .internalError: return .internalError
        }
    }

    /// The gRPC error for a Flotilla error.
    /// A rate-limited call also carries `retry-after` (whole seconds) in its trailing metadata (ADR 0019).
    public static func rpcError(_ error: FlotillaError) -> RPCError {
        var metadata = Metadata()
        if error.code == .rateLimited, case .int(let seconds)? = error.details["retryAfter"] {
            metadata.addString(String(seconds), forKey: "retry-after")
        }
        return RPCError(code: code(of: error.code), message: error.message, metadata: metadata)
    }

    /// The gateway's HTTP status for a Flotilla error: grpc-gateway's mapping of its gRPC code, except that an
    /// oversize body is 413 and a wrong method 405, as on every other surface.
    public static func httpStatus(of code: FlotillaError.Code) -> Int {
        switch code {
        case .payloadTooLarge: return 413
        case .methodNotAllowed: return 405
        default: return httpStatus(of: self.code(of: code))
        }
    }

    static func httpStatus(of code: RPCError.Code) -> Int {
        switch code {
        case .invalidArgument, .failedPrecondition, .outOfRange: return 400
        case .unauthenticated: return 401
        case .permissionDenied: return 403
        case .notFound: return 404
        case .alreadyExists, .aborted: return 409
        case .resourceExhausted: return 429
        case .cancelled: return 499
        case .unimplemented: return 501
        case .unavailable: return 503
        case .deadlineExceeded: return 504
        default: return 500
        }
    }
}
