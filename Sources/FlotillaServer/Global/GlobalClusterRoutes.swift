import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// `GET /api/v2/cluster`: members with role and health, the leader and its term, the store's kind and health.
struct GlobalClusterRoutes {
    let deps: ServerDependencies
    /// How long the store's status may take before the answer reports it unhealthy.
    static let storeDeadline = Duration.seconds(3)

    func register(_ routes: Routes) {
        routes.add(.get, "/api/v2/cluster", permission: .read) { _, _ in
            JSONResponse.make(await cluster())
        }
    }

    func cluster() async -> Global.Cluster {
        let state = deps.registry.snapshot
        let now = deps.clock.now
        let leaderId = state.leader?.value.hostId
        let window = state.effectiveHealthWindow(configured: deps.timings.healthWindow)
        let members = state.workers.values.map(\.value).sorted { $0.id < $1.id }.map { w in
            let status = state.status(ofWorker: w.id)
            let healthy = status != .offline && state.hasFreshHeartbeat(w.id, now: now, window: window)
            return Global.Cluster.Member(
                id: w.id, address: w.address, zone: w.zone, role: w.id == leaderId ? "leader" : "follower", healthy: healthy,
                status: status.rawValue)
        }
        let leader = state.leader.map { Global.Cluster.Leader(id: $0.value.hostId, term: $0.createRevision, since: $0.value.since) }
        let store = deps.store
        let storeInfo: Global.Cluster.Store
        do {
            let s = try await withDeadline(Self.storeDeadline) { try await store.status() }
            storeInfo = .init(kind: s.kind, healthy: s.healthy, revision: s.revision, oldestRevision: s.oldestRevision, details: s.details)
        } catch {
            storeInfo = .init(kind: store.kind, healthy: false, revision: nil, oldestRevision: nil, details: ["error": "\(error)"])
        }
        return Global.Cluster(members: members, leader: leader, store: storeInfo, servedBy: deps.identity.hostId)
    }
}
