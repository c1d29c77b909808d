import FlotillaCore
import FlotillaStore
import Foundation

/// Runs the store contract on a ``SQLiteClusterStore`` in a fresh temporary directory, with its
/// lease-expiry loop running in a task the harness owns (cancelled and awaited on restart and tear-down).
public actor SQLiteStoreHarness: StoreHarness {
    public nonisolated let supportsRestart = true
    /// The directory that holds the database; removed by ``tearDown()``.
    public nonisolated let directory: URL
    private let synchronous: SQLiteClusterStore.Synchronous
    private var store: SQLiteClusterStore?
    private var expiryLoop: Task<Void, Never>?

    public init(synchronous: SQLiteClusterStore.Synchronous = .full) {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("flotilla-store-\(UUID().uuidString)", isDirectory: true)
        self.synchronous = synchronous
    }

    /// The database file.
    public nonisolated var path: String { directory.appendingPathComponent("store.sqlite").path }

    public func makeStore() async throws -> any ClusterStore {
        if let store { return store }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try open()
    }

    public func restart() async throws -> any ClusterStore {
        await close()
        return try open()
    }

    public func tearDown() async throws {
        await close()
        try? FileManager.default.removeItem(at: directory)
    }

    private func open() throws -> SQLiteClusterStore {
        let store = try SQLiteClusterStore(path: path, synchronous: synchronous)
        self.store = store
        expiryLoop = Task {
            // run() returns when cancelled; its own failures are logged inside and retried.
            try? await store.run()
        }
        return store
    }

    private func close() async {
        expiryLoop?.cancel()
        await expiryLoop?.value
        expiryLoop = nil
        try? store?.close()
        store = nil
    }
}
