import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Hummingbird

/// Surface C's image catalog, `/api/v1/images`: everyone with a key reads it, admins import (`POST`), replace
/// (`PUT`, e.g. to add a kernel for `kvm` to a built-in image) and delete.
struct ImageRoutes {
    let deps: ServerDependencies
    static let base = "/api/v1/images"

    func register(_ routes: Routes) {
        let b = Self.base
        routes.add(.get, b, permission: .read) { _, _ in
            let images = deps.catalog.images().map(VMMapping.image)
            return JSONResponse.make(VMs.ImageList(items: images, total: images.count))
        }
        routes.add(.get, "\(b)/:id", permission: .read) { _, ctx in
            JSONResponse.make(VMMapping.image(try deps.catalog.image(id: try ctx.parameters.require("id"))))
        }
        routes.add(.post, b, permission: .manageCatalog) { req, ctx in
            let image = try VMMapping.imageBody(try await FieldReader.body(req, context: ctx), now: deps.clock.now)
            return JSONResponse.make(VMMapping.image(try await deps.catalog.put(image, replace: false)), status: .created)
        }
        routes.add(.put, "\(b)/:id", permission: .manageCatalog) { req, ctx in
            let id = try ctx.parameters.require("id")
            let fields = try await FieldReader.body(req, context: ctx)
            let idKey = VMs.ImageCreateRequest.CodingKeys.id.stringValue
            if let given = fields.object[idKey], given != .string(id) {
                throw RequestValidationError(
                    type: .valueError, loc: ["body", .string(idKey)], msg: "Value error, must match the id in the path", input: given)
            }
            var object = fields.object
            object[idKey] = .string(id)
            let image = try VMMapping.imageBody(FieldReader(location: "body", object: object), now: deps.clock.now)
            return JSONResponse.make(VMMapping.image(try await deps.catalog.put(image, replace: true)))
        }
        routes.add(.delete, "\(b)/:id", permission: .manageCatalog) { _, ctx in
            JSONResponse.make(VMMapping.image(try await deps.catalog.deleteImage(id: try ctx.parameters.require("id"))))
        }
    }
}
