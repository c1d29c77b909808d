import FlotillaCore

/// Gives the store contract suite a store to test, whatever its implementation.
///
/// A harness owns everything the store needs to work (files, processes, background loops such as the
/// SQLite store's lease expiry) and cleans it all up in ``tearDown()``.
public protocol StoreHarness: Sendable {
    /// Opens the store under test.
    func makeStore() async throws -> any ClusterStore
    /// Closes the current store and opens a new store object over the same data (a process restart).
    func restart() async throws -> any ClusterStore
    /// Closes the store and removes everything the harness created.
    func tearDown() async throws
    /// Whether ``restart()`` is supported; restart contracts pass trivially when it is not.
    var supportsRestart: Bool { get }
}
