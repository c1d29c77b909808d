import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// API key management, `/api/v1/keys`: admin only. Secrets are returned once, at creation or rotation;
/// afterwards a key shows its id and fingerprint, never a part of its secret (ADR 0014), with its expiry and last
/// use (ADR 0019).
struct KeyRoutes {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.post, "/api/v1/keys", permission: .manageKeys) { req, ctx in
            let body = try await req.decodeJSON(Keys.CreateRequest.self, context: ctx)
            guard let name = body.name else { throw FlotillaError.validation("name is required", field: "name") }
            guard let role = Role(rawValue: body.role ?? "") else {
                throw FlotillaError.validation("role must be admin, operator or reader", field: "role")
            }
            let (record, secret) = try await deps.keys.create(name: name, role: role, expiresAt: body.expiresAt)
            return JSONResponse.make(Keys.Created(key: Self.wire(record, now: deps.clock.now), secret: secret), status: .created)
        }
        routes.add(.get, "/api/v1/keys", permission: .manageKeys) { _, _ in
            let now = deps.clock.now
            return JSONResponse.make(Keys.List(keys: deps.keys.list().map { Self.wire($0, now: now) }))
        }
        routes.add(.delete, "/api/v1/keys/:id", permission: .manageKeys) { _, ctx in
            JSONResponse.make(Self.wire(try await deps.keys.revoke(try ctx.parameters.require("id")), now: deps.clock.now))
        }
        routes.add(.post, "/api/v1/keys/:id/rotate", permission: .manageKeys) { req, ctx in
            let id = try ctx.parameters.require("id")
            let body = try await req.decodeJSON(Keys.RotateRequest.self, context: ctx, empty: Keys.RotateRequest())
            let (rotated, created, secret) = try await deps.keys.rotate(
                id, options: .init(grace: body.grace, name: body.name, expiresAt: body.expiresAt))
            let now = deps.clock.now
            return JSONResponse.make(
                Keys.Rotated(key: Keys.Created(key: Self.wire(created, now: now), secret: secret), rotated: Self.wire(rotated, now: now)),
                status: .created)
        }
    }

    static func wire(_ r: APIKeyRecord, now: Date) -> Keys.Key {
        Keys.Key(
            id: r.id, name: r.name, role: r.role.rawValue, fingerprint: r.fingerprint, createdAt: r.createdAt, expiresAt: r.expiresAt,
            expired: KeyExpiry.isExpired(r, now: now), lastUsedAt: r.lastUsedAt, rotatedFrom: r.rotatedFrom, rotatedTo: r.rotatedTo)
    }
}
