import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// The destination half of a live migration (docs/decisions/0027-live-migration.md), under `/internal/v1`, opened
/// only by the cluster credential: prepare, complete and abort an incoming instance. The source host calls them
/// (``PeerMigrationClient``); while this host holds an incoming instance its agent leaves it alone.
struct MigrationRoutes {
    let deps: ServerDependencies

    /// How long a prepared instance is held here at most when its source goes silent (then the agent aborts it).
    static let incomingHoldLimit = Duration.seconds(600)
    /// How long a completed instance stays held, until this host's registry names it the owner.
    static let completedHoldLimit = Duration.seconds(60)

    static func path(_ id: String, _ step: String) -> String { "\(InternalRoutes.base)/instances/\(id)/migration/\(step)" }

    /// `prepare`'s body: the source host, the store revision of the record that names this migration, and the
    /// shared disk storage the instance's disks sit on, if any (docs/decisions/0029-shared-disk-storage.md).
    struct PrepareRequest: Codable, Sendable {
        var source: String
        var revision: Int64
        var sharedStorage: String?

        enum CodingKeys: String, CodingKey {
            case source, revision
            case sharedStorage = "shared_storage"
        }
    }

    /// `complete`'s body: how long to wait for the guest to run here.
    struct CompleteRequest: Codable, Sendable {
        var timeoutMilliseconds: Int64
        enum CodingKeys: String, CodingKey { case timeoutMilliseconds = "timeout_ms" }
    }

    struct Done: Codable, Sendable { var id: String }

    func register(_ routes: Routes) {
        let base = "\(InternalRoutes.base)/instances/:id/migration"
        routes.addInternal(.post, "\(base)/prepare") { req, ctx in
            let id = try ctx.parameters.require("id")
            let body = try await req.decodeJSON(PrepareRequest.self, context: ctx)
            return JSONResponse.make(try await prepare(id, body))
        }
        routes.addInternal(.post, "\(base)/complete") { req, ctx in
            let id = try ctx.parameters.require("id")
            let body = try await req.decodeJSON(CompleteRequest.self, context: ctx)
            try await complete(id, timeout: .milliseconds(max(1, min(body.timeoutMilliseconds, 600_000))))
            return JSONResponse.make(Done(id: id))
        }
        routes.addInternal(.post, "\(base)/abort") { _, ctx in
            let id = try ctx.parameters.require("id")
            try await abort(id)
            return JSONResponse.make(Done(id: id))
        }
    }

    private var migrations: MigrationGuard { deps.workers.migrations }

    /// Reads the instance once the registry holds the source's record, checks it is this host's to take, and
    /// launches it waiting for its state.
    private func prepare(_ id: String, _ body: PrepareRequest) async throws -> IncomingMigration {
        let me = deps.identity.hostId
        // What can be told at once is told before waiting on the revision: an unknown instance (created long before
        // any move of it) or source host, or a revision that cannot be one.
        guard body.revision >= 0 else { throw FlotillaError.validation("revision must not be negative", field: "revision") }
        guard deps.registry.read({ $0.instances[id]?.value.isLive ?? false }) else { throw FlotillaError.instanceNotFound(id) }
        guard deps.registry.read({ $0.workers[body.source] != nil }) else {
            throw FlotillaError.validation("source is not a known host: \(body.source)", field: "source")
        }
        guard await deps.registry.catchUp(to: body.revision) else {
            throw FlotillaError(.storeUnavailable, "Host \(me) has not seen store revision \(body.revision) yet")
        }
        let state = deps.registry.snapshot
        guard let instance = state.instances[id]?.value, instance.isLive else { throw FlotillaError.instanceNotFound(id) }
        guard instance.workerId == body.source, let record = instance.lastMigration, record.outcome == .migrating,
            record.mode == .live, record.to == me
        else {
            throw FlotillaError(
                .invalidState, "Instance \(id) is not being migrated live from host \(body.source) to host \(me)")
        }
        guard let migrator = migrations.migrators[instance.backend] else {
            throw FlotillaError(.operationNotSupported, "The \(instance.backend.rawValue) backend of host \(me) cannot migrate live")
        }
        guard migrations.hold(id, for: Self.incomingHoldLimit) else {
            throw FlotillaError(.invalidState, "Host \(me) already has a migration of instance \(id) under way")
        }
        do {
            let request = try Agent.createRequest(instance, state)
            return try await migrator.prepareIncoming(
                request, listenHost: Self.host(of: deps.identity.address), sharedStorage: body.sharedStorage)
        } catch {
            migrations.release(id)
            throw FlotillaError(.backendError, "Host \(me) could not prepare instance \(id): \(LiveMigration.reason(error))")
        }
    }

    private func complete(_ id: String, timeout: Duration) async throws {
        guard let instance = deps.registry.read({ $0.instances[id]?.value }),
            let migrator = migrations.migrators[instance.backend]
        else { throw FlotillaError.instanceNotFound(id) }
        do {
            try await migrator.completeIncoming(id: id, timeout: timeout)
        } catch {
            throw FlotillaError(
                .backendError, "Host \(deps.identity.hostId) could not complete instance \(id): \(LiveMigration.reason(error))")
        }
        // Held until the registry names this host (the agent ends the hold then), at most this long.
        migrations.release(id, after: Self.completedHoldLimit)
    }

    /// Ends and removes the incoming instance, unless this host owns it (then it is no incoming one any more).
    private func abort(_ id: String) async throws {
        let me = deps.identity.hostId
        if let instance = deps.registry.read({ $0.instances[id]?.value }), instance.isLive, instance.workerId == me {
            throw FlotillaError(.invalidState, "Host \(me) owns instance \(id): there is no incoming migration of it to abort")
        }
        for (_, migrator) in migrations.migrators { await migrator.abortIncoming(id: id) }
        migrations.release(id)
    }

    /// The host part of an advertised address (`http://10.0.0.5:8080` → `10.0.0.5`).
    static func host(of address: String) -> String {
        guard let host = URLComponents(string: address)?.host, !host.isEmpty else { return "127.0.0.1" }
        return host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    }
}
