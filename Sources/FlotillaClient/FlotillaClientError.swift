import FlotillaCore

/// Everything a ``FlotillaClient`` call can fail with.
///
/// The cases separate "the server said no" (``api(status:code:message:details:)``) from "no usable
/// answer arrived" (``unreachable(_:_:)``, ``timedOut(_:after:)``, ``invalidResponse(_:_:)``) and from
/// "the request could not even be built" (``invalidRequest(_:)``), so callers such as the CLI can pick
/// an exit status and a message without looking at strings.
public enum FlotillaClientError: Error, Sendable, Equatable {
    /// The server answered with a non-2xx status. `code` is the error code of the body
    /// (`INSTANCE_NOT_FOUND`, ...), or `HTTP_<status>` when the body was not a Flotilla error body.
    case api(status: Int, code: String, message: String, details: [String: JSONValue]?)
    /// No connection could be made, or it broke before an answer arrived.
    /// The first value is the URL that was called, the second a short description of the cause.
    case unreachable(String, String)
    /// No complete answer arrived before the request's deadline.
    case timedOut(String, after: Duration)
    /// An answer arrived but could not be used (not the expected JSON, or larger than the limit).
    /// The first value is the URL that was called, the second says what was wrong.
    case invalidResponse(String, String)
    /// The request could not be built (a malformed base URL, a label that cannot be encoded, ...).
    case invalidRequest(String)
}
