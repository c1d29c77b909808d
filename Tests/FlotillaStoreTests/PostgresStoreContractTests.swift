import FlotillaTestSupport
import Testing

/// The shared store contract, every case unchanged, on a real PostgreSQL 15 (one server for the suite, a database
/// per case).
@Suite("PostgreSQL store contract", .postgresAvailable, .sharedPostgres, .timeLimit(.minutes(2)))
struct PostgresStoreContractTests {
    @Test(arguments: StoreContract.allCases)
    func contract(_ behaviour: StoreContractCase) async throws {
        try await behaviour.run(on: PostgresStoreHarness(server: try PostgresServer.shared()))
    }
}
