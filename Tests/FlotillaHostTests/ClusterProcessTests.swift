import FlotillaAPI
import FlotillaClient
import FlotillaTLS
import FlotillaTestSupport
import Foundation
import NIOSSL
import Testing

/// Three `flotilla serve` processes on one real 3-member etcd cluster, or on one PostgreSQL database (ADR 0030);
/// on a TLS etcd (``Backing/etcdTLS``), the etcd cluster takes only TLS with client certificates and the hosts serve
/// TLS and call each other with mutual TLS, all under the etcd cluster's CA (ADR 0017, ADR 0020).
@Suite("Cluster mode: three hosts on etcd or PostgreSQL", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct ClusterProcessTests {
    static let key = "flt_cluster_process_test_key_0123"
    /// How the tests' clients reach hosts that serve TLS (the suite is serialized: one cluster at a time).
    static let clientTLS = LockedBox<TLSConfiguration?>(nil)

    /// The store the three hosts share.
    enum Backing: String, Sendable, CustomTestStringConvertible {
        /// A real 3-member etcd cluster, plain or TLS only with client certificates (the hosts then serve TLS too).
        case etcd, etcdTLS
        /// A real PostgreSQL 15 server, one database (ADR 0030).
        case postgres

        var testDescription: String { rawValue }
    }

    /// What the hosts run on: an etcd cluster, or a PostgreSQL server and the database they share.
    enum Store: Sendable {
        case etcd(EtcdCluster)
        case postgres(PostgresServer, database: String)

        /// The etcd cluster (tests that stop one of its members).
        var etcd: EtcdCluster? {
            if case .etcd(let cluster) = self { return cluster }
            return nil
        }

        var environment: [String: String] {
            if case .postgres(let server, _) = self { return server.serveEnvironment }
            return [:]
        }
    }

    /// Starts the store and three hosts in zones z1..z3, runs `body`, then stops everything, last in first out,
    /// whatever happens: the hosts (kill -9), any QEMU they left under their folders, the folders, the store.
    func withCluster(
        tls: Bool = false, on backing: Backing? = nil, backends: String = "sim", environment: [String: String] = [:],
        _ body: @Sendable (Store, [ServeProcess]) async throws -> Void
    ) async throws {
        let backing = backing ?? (tls ? .etcdTLS : .etcd)
        try await FixtureStack.with { stack in
            let store: Store
            switch backing {
            case .etcd, .etcdTLS: store = .etcd(try await stack.etcd(tls: backing == .etcdTLS))
            case .postgres:
                let server = try await stack.postgres()
                store = .postgres(server, database: try await server.createDatabase())
            }
            Self.clientTLS.withLock { $0 = nil }
            if case .etcd(let etcd) = store, etcd.tls {
                Self.clientTLS.withLock { $0 = try? TLSFiles.client(ca: etcd.caFile, certificate: nil, key: nil) }
            }
            let dir = try await stack.temporaryDirectory("cluster")
            // Pushed before the hosts start, so it runs after they stopped: no host restarts a killed VM.
            await stack.push("QEMUs under \(dir)") { KVMTestSupport.killQEMUs(under: dir) }
            var hosts: [ServeProcess] = []
            for i in 1...3 {
                hosts.append(
                    try await stack.serve(
                        dataDir: "\(dir)/h\(i)", apiKey: Self.key,
                        extra: try Self.hostArguments(store, id: "h\(i)", zone: "z\(i)"), backends: backends,
                        environment: environment.merging(store.environment) { own, _ in own }, stopSignal: SIGKILL))
            }
            try await body(store, hosts)
        }
    }

    /// The arguments of host `id` in zone `zone` on `store` (its environment: ``Store/environment``).
    static func hostArguments(_ store: Store, id: String, zone: String) throws -> [String] {
        let common = ["--cluster-secret", "test-secret", "--host-id", id, "--zone", zone] + FaultCluster.fastBounds
        switch store {
        case .postgres(let server, let database): return server.serveArguments(database) + common
        case .etcd(let etcd): return try hostArguments(etcd, id: id, zone: zone)
        }
    }

    /// The arguments of host `id` in zone `zone` on `etcd`; on a TLS etcd also the host's own certificate
    /// (issued by the etcd cluster's CA, which is then the cluster CA too).
    static func hostArguments(_ etcd: EtcdCluster, id: String, zone: String) throws -> [String] {
        var arguments =
            etcd.serveArguments + ["--cluster-secret", "test-secret", "--host-id", id, "--zone", zone] + FaultCluster.fastBounds
        if let authority = etcd.authority {
            let base = etcd.tlsDirectory + "/host-" + id
            try authority.issue(host: id, alternativeNames: [.ip([127, 0, 0, 1]), .dns("localhost")])
                .save(certificate: base + ".pem", key: base + "-key.pem")
            arguments += ["--tls-cert", base + ".pem", "--tls-key", base + "-key.pem", "--tls-ca", etcd.caFile]
        }
        return arguments
    }

    func client<T: Sendable>(_ host: ServeProcess, _ body: (FlotillaClient) async throws -> T) async throws -> T {
        let tls = host.url.hasPrefix("https://") ? Self.clientTLS.value : nil
        return try await FlotillaClient.withClient(baseURL: host.url, apiKey: Self.key, timeout: .seconds(30), tls: tls, body)
    }

    func request(_ name: String, zone: String? = nil) -> Compute.CreateRequest {
        Compute.CreateRequest(
            name: name, backend: "sim", config: .init(image: "busybox"),
            resources: .init(cpu: .init(cores: 0.5), memory: .init(limit: 64 << 20)), placement: zone.map { .init(zone: $0) })
    }

    /// Retries a create through `host` until it is acknowledged (a leader is needed to place it).
    func createEventually(_ host: ServeProcess, _ name: String, within: Duration = .seconds(30)) async throws -> Compute.Instance {
        let instance = try await eventuallyValue(
            "a create of \(name) is acknowledged", timeout: within, every: .milliseconds(200), retryingErrors: true
        ) {
            try await client(host) { try await $0.createInstance(request(name), wait: true) }.0
        }
        if instance.state == "running" { return instance }
        // Acknowledged: wait for it to run.
        return try await waitRunning(host, instance.id, within: within)
    }

    /// Waits until instance `id` runs, read through `host` (on another worker than `awayFrom` when given).
    func waitRunning(
        _ host: ServeProcess, _ id: String, within: Duration = .seconds(30), awayFrom: String? = nil
    ) async throws -> Compute.Instance {
        try await eventuallyValue(
            "instance \(id) runs" + (awayFrom.map { " away from \($0)" } ?? ""), timeout: within, every: .milliseconds(100)
        ) {
            guard let i = try? await client(host, { try await $0.instance(id: id) }), i.state == "running",
                awayFrom == nil || i.workerId != awayFrom
            else { return nil }
            return i
        }
    }

    @Test(
        "instances created through any host are placed by zone, run on the chosen host, and every host sees them",
        arguments: [Backing.etcd, .etcdTLS, .postgres])
    func placementAcrossHosts(on backing: Backing) async throws {
        try await withCluster(on: backing) { _, hosts in
            #expect(hosts.allSatisfy { $0.url.hasPrefix(backing == .etcdTLS ? "https://" : "http://") })
            for host in hosts {
                #expect(try await client(host) { try await $0.health() }.store == (backing == .postgres ? "postgres" : "etcd"))
            }
            for (via, zone) in [(0, "z3"), (1, "z1"), (2, "z2")] {
                let (created, _) = try await client(hosts[via]) { try await $0.createInstance(request("in-\(zone)", zone: zone)) }
                #expect(created.state == "running", "\(created.stateDescription ?? "")")
                #expect(created.workerId == "h" + zone.dropFirst())
                for other in hosts {
                    let seen = try await client(other) { try await $0.instance(id: created.id) }
                    #expect(seen.workerId == created.workerId)
                    #expect(seen.state == "running")
                }
            }
            let listed = try await client(hosts[1]) { try await $0.listInstances() }
            #expect(listed.total == 3)
        }
    }

    @Test(
        "kill -9 of the leader: another host leads, creates keep succeeding, it turns offline everywhere and its instances run elsewhere; one etcd member stopped: still working; the host comes back: nothing lost or duplicated",
        arguments: [Backing.etcd, .etcdTLS, .postgres])
    func failover(on backing: Backing) async throws {
        try await withCluster(on: backing) { store, hosts in
            var acknowledged: [String] = []
            for i in 0..<6 { acknowledged.append(try await createEventually(hosts[i % 3], "before-\(i)").id) }
            let leader = try await leaderHost(hosts)
            let dead = "h\(leader + 1)"
            let onDead = try await client(hosts[leader]) { try await $0.listInstances(pageSize: 500) }.instances
                .filter { $0.workerId == dead }.map(\.id)
            #expect(!onDead.isEmpty, "spread put some of six instances on every host")
            await hosts[leader].stop(signal: SIGKILL)
            let survivors = hosts.indices.filter { $0 != leader }.map { hosts[$0] }
            acknowledged.append(try await createEventually(survivors[0], "after-leader-kill").id)

            // Offline on every surviving host, and its instances rescheduled onto the survivors.
            for host in survivors {
                try await eventually("\(dead) offline at \(host.url)", timeout: .seconds(30), every: .milliseconds(100)) {
                    (try? await self.client(host) { try await $0.worker(id: dead) })?.status == "offline"
                }
            }
            for id in onDead {
                let moved = try await waitRunning(survivors[1], id, within: .seconds(60), awayFrom: dead)
                #expect(moved.workerId != dead)
            }

            // etcd only: PostgreSQL is one server here (its own replication is the operator's, ADR 0030).
            if let etcd = store.etcd {
                await etcd.stop(member: 0)
                acknowledged.append(try await createEventually(survivors[1], "after-member-stop").id)
            }

            // The dead host comes back: it re-registers, and nothing is duplicated or lost.
            try await FixtureStack.with { stack in
                let back = try await stack.serve(
                    dataDir: try await stack.temporaryDirectory("back"), apiKey: Self.key,
                    extra: try Self.hostArguments(store, id: dead, zone: "z\(leader + 1)"), environment: store.environment,
                    stopSignal: SIGKILL)
                for host in survivors + [back] {
                    try await eventually("\(dead) active again at \(host.url)", timeout: .seconds(30), every: .milliseconds(100)) {
                        (try? await self.client(host) { try await $0.worker(id: dead) })?.status == "active"
                    }
                }
                var listed = try await client(back) { try await $0.listInstances(pageSize: 500) }
                #expect(Set(acknowledged).isSubset(of: Set(listed.instances.map(\.id))), "nothing lost")
                #expect(listed.total == acknowledged.count, "nothing duplicated")
                // Stopping an etcd member that leads stalls the store for an election; with the tests' 2 s fence
                // bound (FaultCluster.fastBounds) the survivors may fence themselves meanwhile (ADR 0016). Their
                // instances then run again by their restart policy: every one runs, eventually.
                // (A wait that fails shows the instances below.)
                _ = try? await eventually("every instance runs", timeout: .seconds(60), every: .milliseconds(250)) {
                    if !listed.instances.allSatisfy({ $0.state == "running" }) {
                        listed = try await client(back) { try await $0.listInstances(pageSize: 500) }
                    }
                    return listed.instances.allSatisfy { $0.state == "running" }
                }
                #expect(
                    listed.instances.allSatisfy { $0.state == "running" },
                    "\(listed.instances.map { ($0.name, $0.state, $0.workerId ?? "-", $0.stateDescription ?? "") })")
                #expect(listed.total == acknowledged.count, "nothing duplicated after the restarts")
            }
        }
    }

    @Test(
        "surface B on three real hosts: five VMs split 2/2/1, stats that add up on every host, drain and activate",
        arguments: [Backing.etcd, .postgres])
    func seedScenario(on backing: Backing) async throws {
        try await withCluster(on: backing) { _, hosts in
            var placed: [String: Int] = [:]
            for i in 0..<5 {
                let vm = try await createEventually(hosts[i % 3], "dev-vm-\(i + 1)")
                placed[vm.workerId ?? "", default: 0] += 1
            }
            #expect(placed.values.sorted() == [1, 2, 2], "\(placed)")
            for host in hosts {
                let stats = try await client(host) { try await $0.clusterStats() }
                #expect(stats.totalWorkers == 3 && stats.activeWorkers == 3 && stats.drainingWorkers == 0)
                #expect(stats.totalVms == 5)
                #expect(stats.usedCpuCores == 2.5, "five instances of half a core")
                let workers = try await client(host) { try await $0.listWorkers() }.workers
                #expect(workers.map(\.vmCount).reduce(0, +) == stats.totalVms)
                #expect(workers.map(\.usedCpuCores).reduce(0, +) == stats.usedCpuCores)
                #expect(workers.map(\.cpuCores).reduce(0, +) == stats.totalCpuCores)
                #expect(stats.zones == ["z1": 1, "z2": 1, "z3": 1])
            }

            // Drain h3 through h1: every host sees 2 active + 1 draining; nothing new lands on h3.
            let drained = try await client(hosts[0]) { try await $0.drainWorker(id: "h3") }
            #expect(drained.status == "draining")
            for host in hosts {
                try await eventually("2 active + 1 draining at \(host.url)", timeout: .seconds(30), every: .milliseconds(100)) {
                    let s = try? await self.client(host) { try await $0.clusterStats() }
                    return s?.activeWorkers == 2 && s?.drainingWorkers == 1
                }
            }
            for i in 0..<3 {
                let vm = try await createEventually(hosts[i], "while-draining-\(i)")
                #expect(vm.workerId != "h3")
            }
            // Activate through h2: h3, now the emptiest, takes the next one.
            _ = try await client(hosts[1]) { try await $0.activateWorker(id: "h3") }
            try await eventually("3 active again", timeout: .seconds(30), every: .milliseconds(100)) {
                (try? await self.client(hosts[2]) { try await $0.clusterStats() })?.activeWorkers == 3
            }
            let next = try await createEventually(hosts[2], "after-activate")
            #expect(next.workerId == "h3")
        }
    }

    /// The index of the host that leads, as the hosts report it on `/health`.
    func leaderHost(_ hosts: [ServeProcess]) async throws -> Int {
        try await eventuallyValue("a host reports leadership", timeout: .seconds(30), every: .milliseconds(100)) {
            for (i, h) in hosts.enumerated() {
                if let health = try? await client(h, { try await $0.health() }), health.role == "leader" { return i }
            }
            return nil
        }
    }
}
