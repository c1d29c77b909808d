import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Testing

/// The backend contract on real QEMU (TCG). Serialized: every case launches QEMU processes, and the
/// machines have two cores.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUBackendContractTests {
    @Test(arguments: BackendContract.allCases)
    func contract(_ check: BackendContract) async throws {
        try await check.run(try await QEMUHarness())
    }
}
