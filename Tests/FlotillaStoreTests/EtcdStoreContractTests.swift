import FlotillaTestSupport
import Testing

/// The shared store contract on a real 3-member etcd cluster. One cluster serves the suite (each case uses its
/// own key prefix); the compaction case gets a cluster of its own, since compaction drops the whole cluster's
/// history and would break the other cases' replays.
@Suite("etcd store contract", .etcdAvailable, .sharedEtcdCluster, .timeLimit(.minutes(2)))
struct EtcdStoreContractTests {
    static let needsOwnCluster: Set<String> = ["compactionMakesOldWatchFailWithOldest"]

    @Test(arguments: StoreContract.allCases)
    func contract(_ behaviour: StoreContractCase) async throws {
        let harness =
            Self.needsOwnCluster.contains(behaviour.name)
            ? try await EtcdStoreHarness.ownCluster() : EtcdStoreHarness(cluster: try EtcdCluster.shared())
        try await behaviour.run(on: harness)
    }
}
