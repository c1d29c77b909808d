import FlotillaAPI
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird

/// An API surface: which error body a path gets. Each surface maps codes to statuses in exactly one place.
public enum Surface: Sendable {
    /// Surface A and everything without a surface of its own (keys, health).
    case compute

    static func of(path: String) -> Surface { .compute }

    /// The HTTP status of a code on this surface.
    func status(of code: FlotillaError.Code) -> HTTPResponse.Status {
        switch code {
        case .instanceNotFound, .notFound, .resourceNotFound: return .notFound
        case .invalidBackend, .validationError: return .badRequest
        case .backendUnavailable, .storeUnavailable: return .serviceUnavailable
        case .resourceLimitExceeded, .operationNotSupported, .invalidState, .nameConflict: return .conflict
        case .backendError: return .badGateway
        case .unauthorized: return .unauthorized
        case .forbidden: return .forbidden
        case .methodNotAllowed: return .methodNotAllowed
        case .payloadTooLarge: return .contentTooLarge
        case .timeout: return .gatewayTimeout
        case .internalError: return .internalServerError
        }
    }

    /// The response for an error on this surface.
    func response(for error: FlotillaError, revision: Revision) -> Response {
        let body = Compute.ErrorBody(
            error: .init(code: error.code.rawValue, message: error.message, details: error.details.isEmpty ? nil : error.details))
        var response = JSONResponse.make(body, status: status(of: error.code))
        response.headers[.flotillaRevision] = String(revision)
        if error.code == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

extension HTTPField.Name {
    public static let flotillaRevision = HTTPField.Name("X-Flotilla-Revision")!
    public static let apiKey = HTTPField.Name("X-API-Key")!
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

/// JSON responses with the wire coders.
enum JSONResponse {
    /// One encoder for every response: encoding does not mutate it, so sharing it across requests is safe.
    nonisolated(unsafe) static let encoder = WireJSON.encoder()

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"INTERNAL_ERROR","message":"encoding failed"}}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
