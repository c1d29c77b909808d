import FlotillaAPI
import FlotillaCore
import Hummingbird

/// API key management, `/api/v1/keys`: admin only. Secrets are returned once, at creation; afterwards a key
/// shows its id and fingerprint, never a part of its secret (ADR 0014).
struct KeyRoutes {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.post, "/api/v1/keys", permission: .manageKeys) { req, ctx in
            let body = try await req.decodeJSON(Keys.CreateRequest.self, context: ctx)
            guard let name = body.name else { throw FlotillaError.validation("name is required", field: "name") }
            guard let role = Role(rawValue: body.role ?? "") else {
                throw FlotillaError.validation("role must be admin, operator or reader", field: "role")
            }
            let (record, secret) = try await deps.keys.create(name: name, role: role)
            return JSONResponse.make(Keys.Created(key: Self.wire(record), secret: secret), status: .created)
        }
        routes.add(.get, "/api/v1/keys", permission: .manageKeys) { _, _ in
            JSONResponse.make(Keys.List(keys: deps.keys.list().map(Self.wire)))
        }
        routes.add(.delete, "/api/v1/keys/:id", permission: .manageKeys) { _, ctx in
            JSONResponse.make(Self.wire(try await deps.keys.revoke(try ctx.parameters.require("id"))))
        }
    }

    static func wire(_ r: APIKeyRecord) -> Keys.Key {
        Keys.Key(id: r.id, name: r.name, role: r.role.rawValue, fingerprint: r.fingerprint, createdAt: r.createdAt)
    }
}
