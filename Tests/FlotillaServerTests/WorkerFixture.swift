import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation

/// Test fixtures: extra workers written straight into a test host's store, the way a host registers
/// (a persistent record plus a heartbeat under a lease). No agent runs for them unless a test starts one.
enum WorkerFixture {
    @discardableResult
    static func register(
        _ host: TestHost, id: String, zone: String?, labels: [String: String] = [:], capabilities: [BackendKind] = [.sim],
        cpuCores: Double = 64, memoryMB: Int64 = 65536, diskGB: Int64 = 1000, maxInstances: Int = 100,
        adminStatus: WorkerAdminStatus = .active, startedAt: Date = Date(), heartbeatAt: Date = Date(),
        leaseTTL: Duration = .seconds(120), address: String = "http://127.0.0.1:1"
    ) async throws -> Worker {
        let store = host.host.store
        let worker = Worker(
            id: id, hostname: "\(id).fixture.test", address: address, zone: zone, labels: labels,
            capabilities: capabilities,
            capacity: WorkerCapacity(cpuCores: cpuCores, memoryMB: memoryMB, diskGB: diskGB, maxInstances: maxInstances),
            adminStatus: adminStatus, startedAt: startedAt)
        let lease = try await store.grantLease(ttl: leaseTTL)
        let result = try await store.txn(
            [],
            then: [
                .put(StoreKeys.worker(id), try StoreCodec.encode(worker)),
                .put(key: StoreKeys.alive(id), value: try StoreCodec.encode(Heartbeat(workerId: id, at: heartbeatAt)), lease: lease),
            ], otherwise: [])
        _ = await host.host.registry.waitForRevision(result.revision, timeout: .seconds(5))
        return worker
    }
}
