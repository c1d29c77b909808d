import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Hummingbird

/// Host-to-host routes under `/internal/v1`, opened only by the cluster credential.
struct InternalRoutes {
    let deps: ServerDependencies
    static let base = "/internal/v1"

    static func statusPath(_ id: String) -> String { "\(base)/instances/\(id)/status" }

    struct Identity: Encodable {
        var hostId: String
        var revision: Int64
        enum CodingKeys: String, CodingKey {
            case hostId = "host_id"
            case revision
        }
    }

    func register(_ routes: Routes) {
        // Which host answers, and what it applied: for a caller checking its credential and the path.
        routes.addInternal(.get, "\(Self.base)/identity") { _, _ in
            JSONResponse.make(Identity(hostId: deps.identity.hostId, revision: deps.registry.revision))
        }
        // The live status of an instance this host runs (never routed further).
        routes.addInternal(.get, "\(Self.base)/instances/:id/status") { _, ctx in
            let record = try deps.instances.record(id: try ctx.parameters.require("id"))
            return JSONResponse.make(try await LocalStatus(deps: deps).status(record))
        }
        // The destination half of live migrations.
        MigrationRoutes(deps: deps).register(routes)
        SnapshotExportRoute(deps: deps).register(routes)
    }
}
