import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Testing

/// The contract can fail: each deliberate fault is reported by the check that covers it.
@Suite struct BackendContractSelfTests {
    struct FaultyHarness: BackendHarness {
        let fault: FaultyBackend.Fault
        func makeBackend() async throws -> any ComputeBackend { FaultyBackend(inner: SimBackend(), fault: fault) }
        func createRequest(id: String, name: String) -> BackendCreateRequest { SimFixtures.request(id: id, name: name) }
        func tearDown() async throws {}
    }

    @Test(arguments: [
        (FaultyBackend.Fault.deleteIgnoresForce, BackendContract.deleteRunningWithoutForceIsRefused),
        (.listOnlyRunning, .listContainsCreatedInstances),
        (.wrongMemoryLimit, .usageOfRunningInstance),
        (.unknownIsFailure, .unknownIdsAreNotFound),
        (.gracefulStopIgnored, .lifecycle),
        (.gracefulStopIgnored, .gracefulAndForcedStop),
    ])
    func contractCatchesFault(_ fault: FaultyBackend.Fault, _ check: BackendContract) async {
        await withKnownIssue("\(fault) must be caught by \(check)") {
            try await check.run(FaultyHarness(fault: fault))
        }
    }
}
