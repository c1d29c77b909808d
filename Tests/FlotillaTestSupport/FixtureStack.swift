import FlotillaCore
import Foundation

/// Scoped test fixtures that clean up awaited and last in first out, whatever the test did.
///
/// A test opens a stack with ``with(_:)``, starts its processes through it (``serve(dataDir:apiKey:extra:backends:environment:openFileLimit:stopSignal:)``,
/// ``etcd(size:)``, ``temporaryDirectory(_:)``) or pushes its own cleanups (``push(_:_:)``). When the body ends,
/// returns or throws, every cleanup runs, the last pushed first, each awaited before the next: hosts stop before
/// the etcd they use, and folders go after the processes that write into them. A fixture is guarded from the
/// moment it exists, so a second start that fails never leaves the first behind. The hosts it starts log into memory
/// (standard output and error); when the body throws or the test records a failure in it, the last lines of each
/// host's log are printed before the cleanups run (``FailureLogs``). A passing test prints none.
///
/// Cleanups run outside the test's task: a cancelled test still waits for its processes to end.
public actor FixtureStack {
    private var cleanups: [(name: String, run: @Sendable () async -> Void)] = []
    private var hosts: [(name: String, process: ServeProcess)] = []
    private var ranNames: [String] = []

    private init() {}

    /// Runs `body` with a new stack, then runs every cleanup pushed on it, last in first out, also when `body` throws.
    public static func with<T>(_ body: (FixtureStack) async throws -> T) async throws -> T {
        let stack = FixtureStack()
        let result: T
        do {
            result = try await FailureLogs.onFailure({ await stack.failureReport($0) }) { try await body(stack) }
        } catch {
            await stack.unwind()
            throw error
        }
        await stack.unwind()
        return result
    }

    /// The names of the cleanups that ran so far, in the order they ran.
    public var ran: [String] { ranNames }

    /// Pushes `cleanup`: it runs when the stack unwinds, before every cleanup pushed earlier.
    public func push(_ name: String, _ cleanup: @escaping @Sendable () async -> Void) {
        cleanups.append((name, cleanup))
    }

    /// A new empty folder under the temporary directory, removed (with its contents) when the stack unwinds.
    public func temporaryDirectory(_ prefix: String = "fixture") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-\(prefix)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        push("remove \(dir)") { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// A real etcd cluster (``EtcdCluster/start(size:tls:timeout:)``), torn down when the stack unwinds.
    public func etcd(size: Int = 3, tls: Bool = false) async throws -> EtcdCluster {
        let cluster = try await EtcdCluster.start(size: size, tls: tls)
        push("etcd \(cluster.directory)") { await cluster.tearDown() }
        return cluster
    }

    /// The store `harness` opens, closed with everything the harness made when the stack unwinds.
    public func store(_ harness: some StoreHarness) async throws -> any ClusterStore {
        push("store of \(type(of: harness))") { try? await harness.tearDown() }
        return try await harness.makeStore()
    }

    /// A real PostgreSQL server (``PostgresServer/start()``), torn down when the stack unwinds.
    public func postgres() async throws -> PostgresServer {
        let server = try await PostgresServer.start()
        push("postgres \(server.directory)") { await server.tearDown() }
        return server
    }

    /// A `flotilla serve` process (``ServeProcess/start(dataDir:apiKey:extra:backends:environment:openFileLimit:)``),
    /// stopped when the stack unwinds with `stopSignal` (SIGKILL after 20 s if it is still running). A test may
    /// stop it earlier itself: stopping a stopped host does nothing. Its log (standard output and error) is kept in
    /// memory, in `output` when the test reads it, for a failure to show.
    public func serve(
        dataDir: String, apiKey: String? = nil, extra: [String] = [], backends: String = "sim", environment: [String: String] = [:],
        openFileLimit: Int? = nil, stopSignal: Int32 = SIGTERM, output: LockedBox<String>? = nil
    ) async throws -> ServeProcess {
        let log = output ?? LockedBox("")
        let host =
            if let apiKey {
                try await ServeProcess.start(
                    dataDir: dataDir, apiKey: apiKey, extra: extra, backends: backends, environment: environment,
                    openFileLimit: openFileLimit, output: log)
            } else {
                try await ServeProcess.start(
                    dataDir: dataDir, extra: extra, backends: backends, environment: environment, openFileLimit: openFileLimit,
                    output: log)
            }
        let name = "serve \(host.url) (pid \(host.pid))"
        hosts.append((name, host))
        push(name) { await host.stop(signal: stopSignal) }
        return host
    }

    /// Runs every cleanup, last pushed first, each awaited; the stack is empty afterwards.
    private func unwind() async {
        while let last = cleanups.popLast() {
            // A task of its own, awaited: it does not inherit the test's cancellation, so the waits inside a
            // cleanup (a process exiting) still wait.
            await Task.detached { await last.run() }.value
            ranNames.append(last.name)
        }
    }

    /// What a failed test prints: the error, if one was thrown, and the last lines of each host's log.
    private func failureReport(_ error: (any Error)?) -> String {
        let failure = error.map { "threw \($0)" } ?? "recorded a failure"
        var parts = ["FixtureStack: the test \(failure); cleaning up \(cleanups.count) fixtures"]
        for (name, host) in hosts { parts.append(FailureLogs.tail(of: name, host.stdout)) }
        return parts.joined(separator: "\n")
    }
}
