import Foundation

/// A real etcd cluster (3 members) and N real `flotilla serve` hosts with a ``FaultProxy`` on every path a
/// test may want to break: each host reaches each etcd member only through its own store proxy, and the other
/// hosts reach it only through its peer proxy (its `--advertise`). Hosts are `h1`...`hN` in zones `z1`...`zN`.
///
/// ``with(hosts:backends:docker:namespaced:extra:logLevel:_:)`` starts everything and tears it down awaited,
/// last in first out (hosts, proxies, etcd, dockerds, namespaces), also when the body throws; then it prints
/// ``dump()`` once before rethrowing.
public final class FaultCluster: Sendable {
    /// Fast fencing bounds that keep their order (lease TTL < fence bound < reschedule grace), for tests.
    public static let fastBounds = ["--lease-ttl", "2", "--fence-after", "2", "--fence-stop-timeout", "1", "--reschedule-after", "6"]

    /// The admin API key every host creates at start.
    public static let apiKey = "flt_fault_cluster_test_key_012345"

    public let etcd: EtcdCluster
    public let hosts: [FaultHost]
    /// Every fault and heal injected, with its time and target.
    public let schedule: FaultSchedule

    private init(etcd: EtcdCluster, hosts: [FaultHost], schedule: FaultSchedule) {
        self.etcd = etcd
        self.hosts = hosts
        self.schedule = schedule
    }

    /// The admin API key of every host.
    public var apiKey: String { Self.apiKey }

    /// The host with this id (`h1`...); a test's own mistake otherwise.
    public func host(_ id: String) -> FaultHost {
        guard let host = hosts.first(where: { $0.id == id }) else { preconditionFailure("no host \(id) in this cluster") }
        return host
    }

    /// etcd's client URLs, direct (no proxy): for the invariant checker.
    public var registryEndpoints: [String] { etcd.endpoints }

    /// kill -9 of etcd member `member` (its data stays).
    public func etcdKill(member: Int) async {
        schedule.record("etcd.kill", target: etcd.members[member].name)
        await etcd.stop(member: member)
    }

    /// Starts etcd member `member` again on its data and waits until it answers.
    public func etcdRestart(member: Int) async throws {
        schedule.record("etcd.restart", target: etcd.members[member].name)
        try await etcd.start(member: member)
    }

    /// The fault schedule, every host's log tail (last 200 lines) and etcd's, for a failure message.
    public func dump() -> String {
        var text = "=== fault schedule\n\(schedule)\n"
        for host in hosts { text += FailureLogs.tail(of: "\(host.id) (pid \(host.pid), \(host.url))", host.log) + "\n" }
        return text + "=== etcd\n\(etcd.logTails())\n"
    }

    /// Starts a cluster, runs `body`, tears it all down.
    ///
    /// - Parameters:
    ///   - hosts: how many hosts.
    ///   - backends: each host's `--backends`.
    ///   - docker: give each host a dockerd of its own (``DockerRestartableDaemon``); add `docker` to `backends`.
    ///   - namespaced: ids of hosts that run in a ``NetworkNamespace`` of their own: their store and peer proxies
    ///     listen on the namespace's root-side address and the host on its namespace address. So that such a host
    ///     reaches the others too, their peer proxies then listen on the root-side address of one more namespace
    ///     (a hub, whose link no test takes down), which every namespace routes to.
    ///   - extra: more `serve` options (by default ``fastBounds``).
    ///   - logLevel: the hosts' `--log-level`.
    public static func with<T: Sendable>(
        hosts count: Int = 3, backends: String = "sim", docker: Bool = false, namespaced: Set<String> = [],
        extra: [String] = FaultCluster.fastBounds, logLevel: String = "info", _ body: (FaultCluster) async throws -> T
    ) async throws -> T {
        let ids = (1...count).map { "h\($0)" }
        let namespacedIds = ids.filter { namespaced.contains($0) }
        return try await NetworkNamespace.with(count: namespacedIds.isEmpty ? 0 : namespacedIds.count + 1) { namespaces in
            try await withDaemons(docker ? count : 0) { daemons in
                let schedule = FaultSchedule()
                let etcd = try await EtcdCluster.start()
                do {
                    let result = try await withTemporaryDirectory { dir in
                        try await withHosts(
                            ids: ids, dir: dir, etcd: etcd, daemons: daemons, hub: namespaces.last?.rootAddress,
                            namespaces: Dictionary(uniqueKeysWithValues: zip(namespacedIds, namespaces)),
                            backends: backends, extra: extra, logLevel: logLevel, schedule: schedule, body)
                    }
                    await etcd.tearDown()
                    return result
                } catch {
                    await etcd.tearDown()
                    throw error
                }
            }
        }
    }

    /// Makes the proxies and hosts, runs `body`, then stops the hosts and closes the proxies.
    private static func withHosts<T: Sendable>(
        ids: [String], dir: String, etcd: EtcdCluster, daemons: [DockerRestartableDaemon], hub: String?,
        namespaces: [String: NetworkNamespace],
        backends: String, extra: [String], logLevel: String, schedule: FaultSchedule, _ body: (FaultCluster) async throws -> T
    ) async throws -> T {
        var proxies: [FaultProxy] = []
        var hosts: [FaultHost] = []
        let peerListen = hub ?? "127.0.0.1"
        func teardown() async {
            for host in hosts.reversed() { await host.stopProcess() }
            for proxy in proxies.reversed() { await proxy.close() }
        }
        do {
            for (i, id) in ids.enumerated() {
                let namespace = namespaces[id]
                let listen = namespace?.rootAddress ?? "127.0.0.1"
                var stores: [FaultProxy] = []
                for endpoint in etcd.endpoints {
                    let proxy = try await FaultProxy.start(to: String(endpoint.dropFirst("http://".count)), listenHost: listen)
                    proxies.append(proxy)
                    stores.append(proxy)
                }
                let peer = try await FaultProxy.start(listenHost: namespace == nil ? peerListen : listen)
                proxies.append(peer)
                hosts.append(
                    FaultHost(
                        id: id, dataDir: "\(dir)/\(id)", dockerSocket: daemons.isEmpty ? nil : daemons[i].socketPath, namespace: namespace,
                        storeProxies: stores, peerProxy: peer, apiKey: apiKey, zone: "z\(i + 1)", backends: backends, extra: extra,
                        logLevel: logLevel, schedule: schedule))
            }
            let made = FaultCluster(etcd: etcd, hosts: hosts, schedule: schedule)
            let result = try await FailureLogs.onFailure({ error in
                "FaultCluster: the test \(error.map { "threw \($0)" } ?? "recorded a failure")\n\(made.dump())"
            }) {
                for host in hosts { try await host.start() }
                return try await body(made)
            }
            await teardown()
            return result
        } catch {
            await teardown()
            throw error
        }
    }

    /// Runs `body` with `count` dockerds of its own (nested: the last made is stopped first).
    private static func withDaemons<T: Sendable>(
        _ count: Int, _ body: ([DockerRestartableDaemon]) async throws -> T
    ) async throws -> T {
        guard count > 0 else { return try await body([]) }
        return try await DockerRestartableDaemon.with { first in
            try await withDaemons(count - 1) { rest in try await body([first] + rest) }
        }
    }
}
