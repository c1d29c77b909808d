import Testing

/// One named behaviour of the store contract, runnable against any harness.
public struct StoreContractCase: Sendable, CustomTestStringConvertible {
    public let name: String
    public let body: @Sendable (any StoreHarness) async throws -> Void

    public init(_ name: String, _ body: @escaping @Sendable (any StoreHarness) async throws -> Void) {
        self.name = name
        self.body = body
    }

    public var testDescription: String { name }

    /// Runs the behaviour on `harness`, and tears the harness down whatever happens.
    public func run(on harness: any StoreHarness) async throws {
        do {
            try await body(harness)
        } catch {
            try? await harness.tearDown()
            throw error
        }
        try await harness.tearDown()
    }
}
