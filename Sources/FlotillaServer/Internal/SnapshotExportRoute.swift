import FlotillaCluster
import FlotillaCore
import Hummingbird
import NIOCore

/// `GET /internal/v1/snapshots/{id}/export`, opened only by the cluster credential: the backend's export of a
/// snapshot this host keeps, streamed, for another host that makes an instance from it
/// (docs/decisions/0028-snapshots.md, ``PeerSnapshotClient``). What can be refused is refused before the first
/// byte, in the usual error shape; a failure while streaming cuts the connection, so the reader never takes a
/// short stream for a whole one.
struct SnapshotExportRoute {
    let deps: ServerDependencies

    static let pattern = "\(InternalRoutes.base)/snapshots/:id/export"

    static func path(_ id: String) -> String { "\(InternalRoutes.base)/snapshots/\(id)/export" }

    func register(_ routes: Routes) {
        routes.addInternal(.get, Self.pattern) { _, ctx in
            let id = try ctx.parameters.require("id")
            let (snapshot, backend) = try deps.snapshots.exportable(id: id)
            let body = ResponseBody { writer in
                try await backend.exportSnapshot(snapshot.artifact) { bytes in try await writer.write(ByteBuffer(bytes: bytes)) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: body)
        }
    }
}
