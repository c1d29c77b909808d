import FlotillaAPI
import FlotillaCore
import FlotillaFlintlock
import Foundation
import HTTPTypes
import Hummingbird

/// An API surface: which error body a path gets. Each surface maps codes to statuses in exactly one place.
public enum Surface: Sendable {
    /// Surface A and everything without a surface of its own (keys, `/health`).
    case compute
    /// Surface C (docs/api/surface-c-vms.md): VMs, flavors, images, `/api/v1/health` and the `/api/v1/` root.
    case vms
    /// Surface B (docs/api/surface-b-workers.md): workers and cluster figures.
    case workers
    /// Surface E's HTTP gateway (Flintlock): `/v1alpha1/...`, grpc-gateway's error body.
    case flintlock

    /// Path prefixes of surface C.
    static let vmPrefixes = ["/api/v1/vms", "/api/v1/flavors", "/api/v1/images", "/api/v1/health"]
    /// Path prefixes of surface B.
    static let workerPrefixes = ["/api/v1/workers", "/api/v1/cluster"]

    static func of(path: String) -> Surface {
        if hasPrefix(path, ["/v1alpha1"]) { return .flintlock }
        if path == "/api/v1" || path == "/api/v1/" { return .vms }
        if hasPrefix(path, workerPrefixes) { return .workers }
        if hasPrefix(path, vmPrefixes) { return .vms }
        return .compute
    }

    private static func hasPrefix(_ path: String, _ prefixes: [String]) -> Bool {
        for prefix in prefixes where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            if rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") { return true }
        }
        return false
    }

    /// The HTTP status of a code on this surface.
    func status(of code: FlotillaError.Code) -> HTTPResponse.Status {
        switch (self, code) {
        case (.flintlock, _): return HTTPResponse.Status(code: FlintlockStatus.httpStatus(of: code))
        case (.vms, .invalidBackend), (.vms, .validationError): return .unprocessableContent
        case (_, .instanceNotFound), (_, .notFound), (_, .resourceNotFound): return .notFound
        case (_, .invalidBackend), (_, .validationError): return .badRequest
        case (_, .backendUnavailable), (_, .storeUnavailable), (_, .hostUnreachable): return .serviceUnavailable
        case (_, .revisionCompacted): return .gone
        case (_, .resourceLimitExceeded), (_, .operationNotSupported), (_, .invalidState), (_, .nameConflict),
            (_, .imageArtifactMissing):
            return .conflict
        case (_, .backendError): return .badGateway
        case (_, .unauthorized): return .unauthorized
        case (_, .forbidden): return .forbidden
        case (_, .rateLimited): return .tooManyRequests
        case (_, .methodNotAllowed): return .methodNotAllowed
        case (_, .payloadTooLarge): return .contentTooLarge
        case (_, .timeout): return .gatewayTimeout
        case (_, .internalError): return .internalServerError
        }
    }

    /// The name a code goes by on this surface (surface C renames a few).
    func name(of code: FlotillaError.Code) -> String {
        switch (self, code) {
        case (.vms, .instanceNotFound): return VMs.ErrorName.vmNotFound.rawValue
        case (.vms, .invalidState): return VMs.ErrorName.invalidVMState.rawValue
        default: return code.rawValue
        }
    }

    /// The response for an error on this surface.
    func response(for error: FlotillaError, revision: Revision, now: Date = Date()) -> Response {
        let status = status(of: error.code)
        var response: Response
        switch self {
        case .compute:
            let body = Compute.ErrorBody(
                error: .init(code: error.code.rawValue, message: error.message, details: error.details.isEmpty ? nil : error.details))
            response = JSONResponse.make(body, status: status)
        case .vms:
            switch error.code {
            case .validationError, .invalidBackend:
                response = JSONResponse.make(
                    VMs.ValidationErrorBody(detail: [RequestValidationError.issue(from: error)]), status: status)
            case .unauthorized, .forbidden:
                response = JSONResponse.make(Self.authBody(error), status: status)
            default:
                response = JSONResponse.make(
                    VMs.ErrorBody(
                        error: name(of: error.code), message: error.message, details: Self.snakeCased(error.details),
                        timestamp: now),
                    status: status)
            }
        case .workers:
            response = JSONResponse.make(
                Workers.ErrorBody(error: status.reasonPhrase, message: error.message, code: Int(status.code)), status: status)
        case .flintlock:
            response = JSONResponse.make(FlintlockErrorBody(error), status: status)
        }
        response.headers[.flotillaRevision] = String(revision)
        if error.code == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        if error.code == .rateLimited, case .int(let seconds)? = error.details["retryAfter"] {
            response.headers[.retryAfter] = String(seconds)
        }
        return response
    }

    /// The response for a structured validation failure on this surface.
    func response(for error: RequestValidationError, revision: Revision) -> Response {
        switch self {
        case .compute, .workers, .flintlock:
            return response(for: error.flotillaError, revision: revision)
        case .vms:
            var response = JSONResponse.make(VMs.ValidationErrorBody(detail: error.issues), status: .unprocessableContent)
            response.headers[.flotillaRevision] = String(revision)
            return response
        }
    }

    /// Detail keys in surface C's snake_case (the shared services write camelCase, as surface A shows them).
    static func snakeCased(_ details: [String: JSONValue]) -> [String: JSONValue] {
        Dictionary(
            details.map { key, value in
                (key.reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }, value)
            }, uniquingKeysWith: { first, _ in first })
    }

    /// Surface C's 401 and 403 bodies, as its original API key dependency answers them (docs/api/surface-c-vms.md,
    /// Errors).
    private static func authBody(_ error: FlotillaError) -> VMs.AuthErrorBody {
        let authentication = VMs.ErrorName.authentication.rawValue
        if error.code == .forbidden {
            let required = error.details["requiredRole"]?.stringValue ?? "a stronger"
            return VMs.AuthErrorBody(
                detail: .init(
                    error: VMs.ErrorName.authorization.rawValue, message: error.message, details: "This action needs the \(required) role"))
        }
        if error.message == Authenticator.expiredKeyMessage {
            let when = error.details["expiresAt"]?.stringValue.map { " at \($0)" } ?? ""
            return VMs.AuthErrorBody(
                detail: .init(
                    error: authentication, message: "API key has expired", details: "The provided API key expired\(when)"))
        }
        if error.message == Authenticator.invalidKeyMessage {
            return VMs.AuthErrorBody(
                detail: .init(error: authentication, message: "Invalid API key", details: "The provided API key is not valid"))
        }
        return VMs.AuthErrorBody(
            detail: .init(
                error: authentication, message: "API key is required",
                details: "Provide an API key in the X-API-Key header"))
    }
}

extension HTTPField.Name {
    public static let flotillaRevision = HTTPField.Name(constant: "X-Flotilla-Revision")
    public static let apiKey = HTTPField.Name(constant: "X-API-Key")
    public static let idempotencyKey = HTTPField.Name(constant: "Idempotency-Key")
}

/// JSON responses with the wire coders.
enum JSONResponse {
    /// One encoder for every response: encoding does not mutate it, so sharing it across requests is safe.
    static let encoder = WireJSON.encoder()

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        make(body: encode(value), status: status)
    }

    static func make(body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: body))
    }

    static func encode<T: Encodable>(_ value: T) -> ByteBuffer {
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"INTERNAL_ERROR","message":"encoding failed"}}"#.utf8)
        return ByteBuffer(bytes: data)
    }
}
