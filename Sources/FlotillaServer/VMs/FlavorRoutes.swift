import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Hummingbird

/// Surface C's flavor catalog, `/api/v1/flavors`: everyone with a key reads it, admins add and delete.
struct FlavorRoutes {
    let deps: ServerDependencies
    static let base = "/api/v1/flavors"

    func register(_ routes: Routes) {
        let b = Self.base
        routes.add(.get, b, permission: .read) { _, _ in
            let flavors = deps.catalog.flavors().map(VMMapping.flavor)
            return JSONResponse.make(VMs.FlavorList(items: flavors, total: flavors.count))
        }
        routes.add(.get, "\(b)/:id", permission: .read) { _, ctx in
            JSONResponse.make(VMMapping.flavor(try deps.catalog.flavor(id: try ctx.parameters.require("id"))))
        }
        routes.add(.post, b, permission: .manageCatalog) { req, ctx in
            let flavor = try VMMapping.flavorBody(try await FieldReader.body(req, context: ctx))
            return JSONResponse.make(VMMapping.flavor(try await deps.catalog.create(flavor)), status: .created)
        }
        routes.add(.delete, "\(b)/:id", permission: .manageCatalog) { _, ctx in
            JSONResponse.make(VMMapping.flavor(try await deps.catalog.deleteFlavor(id: try ctx.parameters.require("id"))))
        }
    }
}
