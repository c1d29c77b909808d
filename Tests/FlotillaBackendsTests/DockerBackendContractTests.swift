import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Testing

/// The backend contract (the one the sim passes), unchanged, on a real docker daemon.
@Suite(.docker) struct DockerBackendContractTests {
    @Test(arguments: BackendContract.allCases)
    func contract(_ check: BackendContract) async throws {
        try await check.run(DockerHarness())
    }
}
