import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Testing

@Suite struct SimBackendContractTests {
    @Test(arguments: BackendContract.allCases)
    func contract(_ check: BackendContract) async throws {
        try await check.run(SimHarness())
    }

    /// The same checks hold when every call takes a little time.
    @Test(arguments: BackendContract.allCases)
    func contractWithLatency(_ check: BackendContract) async throws {
        try await check.run(SimHarness(configuration: SimBackend.Configuration(defaultLatency: .milliseconds(2))))
    }
}
