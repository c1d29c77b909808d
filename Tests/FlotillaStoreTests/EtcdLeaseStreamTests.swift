import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// Lease renewals on etcd's gRPC stream (docs/decisions/0034-heartbeats-at-scale.md), on a real 3-member cluster.
@Suite("etcd lease stream on a real cluster", .etcdAvailable, .serialized, .timeLimit(.minutes(2)))
struct EtcdLeaseStreamTests {
    /// Many leases renewed at once on the one stream: each renewal gets its own lease's answer, and a lease that does
    /// not exist fails alone.
    @Test func concurrentRenewalsEachGetTheirOwnLeasesAnswer() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: cluster.endpoints) { store in
                var leases: [LeaseID] = []
                for _ in 0..<100 { leases.append(try await store.grantLease(ttl: .seconds(30))) }
                let unknown = LeaseID(Int64.max - 11)
                let outcomes = try await withThrowingTaskGroup(of: (LeaseID, Result<Duration, StoreError>).self) { group in
                    for lease in leases + [unknown] {
                        group.addTask {
                            do { return (lease, .success(try await store.keepAlive(lease))) } catch let error as StoreError {
                                return (lease, .failure(error))
                            }
                        }
                    }
                    return try await group.reduce(into: [LeaseID: Result<Duration, StoreError>]()) { $0[$1.0] = $1.1 }
                }
                #expect(outcomes.count == 101)
                for lease in leases { #expect((try? outcomes[lease]?.get()) == .seconds(30), "lease \(lease) renewed to its TTL") }
                #expect(outcomes[unknown].map { if case .failure(.leaseNotFound(unknown)) = $0 { true } else { false } } == true)
            }
        }
    }

    /// Renewals go where the store's other calls go, the endpoints it was given (here a proxy in front of each member),
    /// never around them to a member's advertised URL (which a host behind NAT or in another network namespace may not
    /// reach): cut the proxies and renewals fail; let them pass and renewals go on, on the same lease.
    @Test func renewalsGoThroughTheConfiguredEndpoints() async throws {
        try await withEtcdCluster { cluster in
            var proxies: [FaultProxy] = []
            for endpoint in cluster.endpoints {
                proxies.append(try await FaultProxy.start(to: String(endpoint.dropFirst("http://".count))))
            }
            func closeProxies() async { for proxy in proxies { await proxy.close() } }
            do {
                try await withStore(endpoints: proxies.map { "http://\($0.address)" }) { store in
                    let lease = try await store.grantLease(ttl: .seconds(10))
                    try await store.put("/lease-stream/proxied", value: Data("v".utf8), lease: lease)
                    #expect(try await store.keepAlive(lease) == .seconds(10))
                    for proxy in proxies { proxy.set(.cut) }
                    var renewedWhileCut = 0
                    for _ in 0..<3 {
                        try await Task.sleep(for: .milliseconds(500))
                        if (try? await store.keepAlive(lease)) != nil { renewedWhileCut += 1 }
                    }
                    #expect(renewedWhileCut == 0, "no renewal reached etcd while every endpoint the store was given was cut")
                    for proxy in proxies { proxy.set(.pass) }
                    try await eventually("a renewal through the proxies again", timeout: .seconds(8), every: .milliseconds(250)) {
                        (try? await store.keepAlive(lease)) == .seconds(10)
                    }
                    #expect(try await store.get("/lease-stream/proxied")?.lease == lease)
                }
            } catch {
                await closeProxies()
                throw error
            }
            await closeProxies()
        }
    }

    /// The stream runs to the leading member; when that member dies, renewals fail for no longer than the election
    /// and then go on, on a new stream to the new leader, and the lease and its key live on.
    @Test func renewalsOutliveTheLeadersDeath() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: cluster.endpoints) { store in
                let lease = try await store.grantLease(ttl: .seconds(5))
                try await store.put("/lease-stream/k", value: Data("v".utf8), lease: lease)
                #expect(try await store.keepAlive(lease) == .seconds(5))
                let leader = try #require(try await store.status().details["leader"])
                let index = try #require(cluster.members.firstIndex { $0.name == leader })
                await cluster.stop(member: index)
                var renewedAfter = 0
                let end = ContinuousClock.now + .seconds(8)
                while ContinuousClock.now < end {
                    if (try? await store.keepAlive(lease)) != nil { renewedAfter += 1 }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(renewedAfter >= 5, "renewals went on after the election")
                #expect(try await store.get("/lease-stream/k")?.lease == lease, "the key outlived the old leader by more than its TTL")
                let now = try #require(try await store.status().details["leader"])
                #expect(now != leader)
            }
        }
    }
}
