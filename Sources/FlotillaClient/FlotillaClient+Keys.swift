import FlotillaAPI
import Foundation

/// Key management (`/api/v1/keys`, admin only) and `GET /health`.
extension FlotillaClient {
    static let keysPath = ["api", "v1", "keys"]

    /// `POST /api/v1/keys`. The answer carries the secret (`key`): the only time it is shown. `expiresAt`: when
    /// the key stops working (nil: never; ADR 0019).
    public func createKey(name: String, role: String, expiresAt: Date? = nil) async throws -> Keys.Created {
        try await send(
            .post, RequestTarget(Self.keysPath), body: Keys.CreateRequest(name: name, role: role, expiresAt: expiresAt)
        ).value
    }

    /// `POST /api/v1/keys/{id}/rotate` (ADR 0019): a new key with the old one's role (its secret shown this once);
    /// the old key expires after `grace` seconds (nil: the server's default, an hour).
    public func rotateKey(id: String, grace: Int? = nil, name: String? = nil) async throws -> Keys.Rotated {
        try await send(.post, RequestTarget(Self.keysPath + [id, "rotate"]), body: Keys.RotateRequest(grace: grace, name: name))
            .value
    }

    /// `GET /api/v1/keys`: the keys without their secrets.
    public func listKeys() async throws -> Keys.List {
        try await send(.get, RequestTarget(Self.keysPath)).value
    }

    /// `DELETE /api/v1/keys/{id}`: the revoked key.
    public func revokeKey(id: String) async throws -> Keys.Key {
        try await send(.delete, RequestTarget(Self.keysPath + [id])).value
    }

    /// `GET /health` (no credential needed).
    public func health() async throws -> HealthResponse {
        try await send(.get, RequestTarget(["health"])).value
    }
}
