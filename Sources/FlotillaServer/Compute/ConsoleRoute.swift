import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// `GET /api/v1/compute/instances/:id/console?lines=N`: the tail of an instance's console (a VM's serial
/// console), as `{"id": ..., "lines": N, "output": "..."}`. `lines` defaults to 100, at most 10000.
struct ConsoleRoute {
    let deps: ServerDependencies

    struct Body: Encodable {
        var id: String
        var lines: Int
        var output: String
    }

    func register(_ routes: Routes) {
        routes.add(.get, "\(ComputeRoutes.base)/instances/:id/console", permission: .read) { req, ctx in
            let lines = try req.queryInt("lines", default: 100, range: 1...10_000)
            let id = try ctx.parameters.require("id")
            if let relayed = try await OwnerProxy(deps: deps).forwardIfRemote(req, id: id, context: ctx) { return relayed }
            let output = try await deps.instances.console(id: id, lines: lines)
            let count =
                output.isEmpty
                ? 0 : output.split(separator: "\n", omittingEmptySubsequences: false).count - (output.hasSuffix("\n") ? 1 : 0)
            return JSONResponse.make(Body(id: id.lowercased(), lines: count, output: output))
        }
    }
}
