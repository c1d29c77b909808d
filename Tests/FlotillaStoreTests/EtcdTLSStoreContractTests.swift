import FlotillaTestSupport
import Testing

/// The shared store contract on a real 3-member etcd cluster that speaks TLS only and requires client
/// certificates (peers too): every call, watch and lease of the contract over TLS with the cluster's client
/// certificate. One cluster serves the suite, as in ``EtcdStoreContractTests``.
@Suite("etcd store contract over TLS", .etcdAvailable, .sharedEtcdCluster(tls: true), .timeLimit(.minutes(2)))
struct EtcdTLSStoreContractTests {
    @Test(arguments: StoreContract.allCases)
    func contract(_ behaviour: StoreContractCase) async throws {
        let harness =
            EtcdStoreContractTests.needsOwnCluster.contains(behaviour.name)
            ? try await EtcdStoreHarness.ownCluster(tls: true) : EtcdStoreHarness(cluster: try EtcdCluster.shared())
        #expect(harness.cluster.tls)
        try await behaviour.run(on: harness)
    }
}
