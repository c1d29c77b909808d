import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting

/// Whole hosts `h1`...`hN` in this process on one real etcd (one member), each with its sim backend and a real HTTP
/// listener on loopback port 0 that it advertises, so that they call each other over the internal API as `flotilla
/// serve` processes do (live migration, forwarding). A test drives each host through its router (``probes``).
/// Everything stops awaited, last in first out: listeners and hosts, then etcd, also when the body throws.
struct InProcessMigrationHosts: Sendable {
    let hosts: [TestHost]
    let probes: [HTTPProbe]

    /// `configure` adjusts host `hN`'s configuration (called with N) after the fixture's own settings.
    static func with(
        count: Int, configure: @escaping @Sendable (Int, inout HostConfiguration) -> Void = { _, _ in },
        _ body: @escaping @Sendable (InProcessMigrationHosts) async throws -> Void
    ) async throws {
        let etcd = try await EtcdCluster.start(size: 1)
        let endpoints = etcd.endpoints.map { $0.replacingOccurrences(of: "http://", with: "") }
        do {
            try await nest(0, count, endpoints, configure, InProcessMigrationHosts(hosts: [], probes: []), body)
        } catch {
            await etcd.tearDown()
            throw error
        }
        await etcd.tearDown()
    }

    private static func nest(
        _ i: Int, _ count: Int, _ endpoints: [String], _ configure: @escaping @Sendable (Int, inout HostConfiguration) -> Void,
        _ ready: InProcessMigrationHosts, _ body: @escaping @Sendable (InProcessMigrationHosts) async throws -> Void
    ) async throws {
        guard i < count else {
            // Every host sees every other one at its real address before the test begins.
            try await eventually("every host sees every host's address", timeout: .seconds(20)) {
                ready.hosts.allSatisfy { h in
                    h.host.registry.read { s in
                        (1...count).allSatisfy { s.workers["h\($0)"]?.value.address.hasPrefix("http://127.0.0.1:") == true }
                            && (1...count).allSatisfy { s.status(ofWorker: "h\($0)") != .offline }
                    }
                }
            }
            try await body(ready)
            return
        }
        let id = "h\(i + 1)"
        try await TestHost.with(configure: {
            $0.store = "etcd://" + endpoints.joined(separator: ",")
            $0.clusterSecret = "live-migration"
            $0.hostId = id
            $0.listenHost = "127.0.0.1"
            $0.listenPort = 0
            configure(i + 1, &$0)
        }) { host in
            let app = host.host.application()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                let probe = Application(router: host.host.router())
                do {
                    try await probe.test(.router) { client in
                        let next = InProcessMigrationHosts(
                            hosts: ready.hosts + [host], probes: ready.probes + [HTTPProbe(client: client, key: host.adminKey)])
                        try await nest(i + 1, count, endpoints, configure, next, body)
                    }
                } catch {
                    group.cancelAll()
                    while let _ = try? await group.next() {}
                    throw error
                }
                group.cancelAll()
                while let _ = try? await group.next() {}
            }
        }
    }

    /// Host `hN`'s sim backend.
    func sim(_ n: Int) throws -> SimBackendHandle {
        guard let backend = hosts[n - 1].host.backends[.sim] else { throw FixtureError("host h\(n) has no sim backend") }
        return SimBackendHandle(backend: backend)
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// A host's sim backend as the tests look at it.
struct SimBackendHandle: Sendable {
    let backend: any ComputeBackend

    /// The ids the backend holds, with their states.
    func states() async throws -> [String: ObservedInstance.State] {
        Dictionary(uniqueKeysWithValues: try await backend.list().map { ($0.id, $0.state) })
    }

    /// The lines of the instance's simulated lifecycle record (its log).
    func history(_ id: String) async throws -> [String] {
        let lines = LockedBox<[UInt8]>([])
        try await backend.logs(id: id, tail: 1000, follow: false) { bytes in lines.withLock { $0 += bytes } }
        return String(decoding: lines.value, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The incoming migrations it holds.
    func incoming() async -> [String] {
        await (backend as? any LiveMigrating)?.incomingInstances() ?? []
    }
}
