import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// Three `flotilla serve` processes on one real 3-member etcd cluster.
@Suite("Cluster mode: three hosts on etcd", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct ClusterProcessTests {
    static let key = "flt_cluster_process_test_key_0123"

    /// Starts etcd and three hosts in zones z1..z3, runs `body`, then stops everything.
    func withCluster(
        backends: String = "sim", environment: [String: String] = [:],
        _ body: @Sendable (EtcdCluster, [ServeProcess]) async throws -> Void
    ) async throws {
        let etcd = try await EtcdCluster.start()
        do {
            try await withTemporaryDirectory { dir in
                let store = "etcd://" + etcd.endpoints.map { $0.replacingOccurrences(of: "http://", with: "") }.joined(separator: ",")
                var hosts: [ServeProcess] = []
                do {
                    for i in 1...3 {
                        hosts.append(
                            try await ServeProcess.start(
                                dataDir: "\(dir)/h\(i)", apiKey: Self.key,
                                extra: ["--store", store, "--cluster-secret", "test-secret", "--host-id", "h\(i)", "--zone", "z\(i)"],
                                backends: backends, environment: environment))
                    }
                    try await body(etcd, hosts)
                } catch {
                    for h in hosts { await h.stop(signal: SIGKILL) }
                    throw error
                }
                for h in hosts { await h.stop(signal: SIGKILL) }
            }
        } catch {
            await etcd.tearDown()
            throw error
        }
        await etcd.tearDown()
    }

    func client<T: Sendable>(_ host: ServeProcess, _ body: (FlotillaClient) async throws -> T) async throws -> T {
        try await FlotillaClient.withClient(baseURL: host.url, apiKey: Self.key, timeout: .seconds(30), body)
    }

    func request(_ name: String, zone: String? = nil) -> Compute.CreateRequest {
        Compute.CreateRequest(
            name: name, backend: "sim", config: .init(image: "busybox"),
            resources: .init(cpu: .init(cores: 0.5), memory: .init(limit: 64 << 20)), placement: zone.map { .init(zone: $0) })
    }

    /// Retries a create through `host` until it is acknowledged (a leader is needed to place it).
    func createEventually(_ host: ServeProcess, _ name: String, within: Duration = .seconds(30)) async throws -> Compute.Instance {
        let deadline = ContinuousClock.now + within
        while true {
            do {
                let (instance, _) = try await client(host) { try await $0.createInstance(request(name), wait: true) }
                if instance.state == "running" { return instance }
                // Acknowledged: wait for it to run.
                return try await waitRunning(host, instance.id, within: within)
            } catch {
                if ContinuousClock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    func waitRunning(_ host: ServeProcess, _ id: String, within: Duration = .seconds(30)) async throws -> Compute.Instance {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            if let i = try? await client(host, { try await $0.instance(id: id) }), i.state == "running" { return i }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessFailure("instance \(id) did not run within \(within)")
    }

    @Test("instances created through any host are placed by zone, run on the chosen host, and every host sees them")
    func placementAcrossHosts() async throws {
        try await withCluster { _, hosts in
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

    @Test("kill -9 of the leader: another host leads and creates keep succeeding; one etcd member stopped: still working; nothing lost")
    func failover() async throws {
        try await withCluster { etcd, hosts in
            var acknowledged: [String] = []
            for i in 0..<3 { acknowledged.append(try await createEventually(hosts[i], "before-\(i)").id) }
            let leader = try await leaderHost(hosts)
            await hosts[leader].stop(signal: SIGKILL)
            let survivors = hosts.indices.filter { $0 != leader }.map { hosts[$0] }
            acknowledged.append(try await createEventually(survivors[0], "after-leader-kill").id)
            await etcd.stop(member: 0)
            acknowledged.append(try await createEventually(survivors[1], "after-member-stop").id)
            let listed = try await client(survivors[0]) { try await $0.listInstances(pageSize: 500) }
            #expect(Set(acknowledged).isSubset(of: Set(listed.instances.map(\.id))))
        }
    }

    /// The index of the host that leads, as the hosts report it on `/health`.
    func leaderHost(_ hosts: [ServeProcess]) async throws -> Int {
        for _ in 0..<100 {
            for (i, h) in hosts.enumerated() {
                if let health = try? await client(h, { try await $0.health() }), health.role == "leader" { return i }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessFailure("no host reported leadership")
    }
}
