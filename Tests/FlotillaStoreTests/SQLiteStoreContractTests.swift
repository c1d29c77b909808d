import FlotillaTestSupport
import Testing

@Suite("SQLite store contract", .timeLimit(.minutes(1)))
struct SQLiteStoreContractTests {
    @Test(arguments: StoreContract.allCases)
    func contract(_ behaviour: StoreContractCase) async throws {
        try await behaviour.run(on: SQLiteStoreHarness())
    }
}
