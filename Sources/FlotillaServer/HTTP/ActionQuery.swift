import FlotillaCore
import Hummingbird

/// The shared query of a create or lifecycle action, parsed once at the top of the handler, before anything
/// acts (ADR 0012): a handler takes the parsed value, so it cannot act on a request it has not validated.
/// Strict: `wait` and `force` are exactly `true` or `false`, `timeout` an integer of seconds from 0 to 3600,
/// checked whether or not the request waits; anything else is 400 `VALIDATION_ERROR` naming the parameter.
struct ActionQuery: Sendable, Equatable {
    /// Whether to answer once the instance settled.
    var wait: Bool
    /// How long to wait, in seconds; nil: the route's default.
    var timeout: Int?
    /// `DELETE ?force=true`: kill at once.
    var force: Bool = false

    /// The longest `timeout` a request may ask for.
    static let maxTimeout = 3600

    /// Surface A (`/api/v1/compute`): `wait` (default `true`), `timeout`, and `force` where the route takes it.
    static func compute(_ request: Request, force allowsForce: Bool = false) throws -> ActionQuery {
        let wait = try request.queryBool("wait", default: true)
        let timeout = try request.queryInt("timeout", range: 0...maxTimeout)
        let force = allowsForce ? try request.queryBool("force", default: false) : false
        return ActionQuery(wait: wait, timeout: timeout, force: force)
    }

    /// Surface D (`/api/v2/vms`) actions: `wait` only (default `false`); the wait is the server's action timeout.
    static func global(_ request: Request) throws -> ActionQuery {
        ActionQuery(wait: try request.queryBool("wait", default: false), timeout: nil)
    }
}
