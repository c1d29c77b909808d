import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// Surface D on three `flotilla serve` hosts over a real 3-member etcd (one cluster for every point: each
/// start costs etcd and three hosts).
extension ClusterProcessTests {
    func globalRequest(_ name: String, on host: String) -> Global.CreateRequest {
        Global.CreateRequest(
            name: name, backend: "sim", image: "busybox", resources: .init(cpuCores: 0.5, memoryMB: 64),
            placement: .init(workerId: host))
    }

    /// Creates through `host` with `wait=running`, retrying until a leader is there to place it.
    /// The status of instance `id` as `owner` reports it, then as each host of `others` relays it. Checks that
    /// every relayed answer is marked routed and equals the owner's but for `routed`, `observed_at` and the
    /// live usage (read at another moment).
    func relayedStatus(
        _ id: String, owner: ServeProcess, askedAt others: [ServeProcess]
    ) async throws -> (local: Global.Status, routed: [Global.Status]) {
        let local = try await client(owner) { try await $0.globalStatus(id: id) }
        var relayed: [Global.Status] = []
        for host in others {
            let routed = try await client(host) { try await $0.globalStatus(id: id) }
            #expect(routed.routed == true)
            var same = routed
            same.routed = false
            same.observedAt = local.observedAt
            same.usage = local.usage
            #expect(same == local, "identity, state, host and revision equal the owner's own answer")
            relayed.append(routed)
        }
        return (local, relayed)
    }

    func createGlobalEventually(_ host: ServeProcess, _ request: Global.CreateRequest, within: Duration = .seconds(30)) async throws
        -> Global.VM
    {
        try await eventuallyValue("a global create is acknowledged", timeout: within, every: .milliseconds(200), retryingErrors: true) {
            try await client(host) { try await $0.createGlobalVM(request, waitRunning: true) }
        }
    }

    /// Reads events after `since` until one at or past `until`, or `count` of them; then disconnects.
    func readEvents(_ host: ServeProcess, since: Int64, until: Int64? = nil, count: Int? = nil) async throws -> [Global.Event] {
        try await client(host) { c in
            var got: [Global.Event] = []
            for try await e in c.events(since: since) {
                got.append(e)
                if let until, e.revision >= until { break }
                if let count, got.count >= count { break }
            }
            return got
        }
    }

    @Test(
        "surface D on 3 hosts: status of an instance on B asked at A and C is B's live answer; min_revision reads a write made elsewhere; v1 usage and sync routed to the owner; events resume without loss; internal routes refuse client keys; owner killed: 503 with last_known",
        arguments: [false, true])
    func globalAcrossHosts(tls: Bool) async throws {
        try await withCluster(tls: tls) { _, hosts in
            let (a, b, c) = (hosts[0], hosts[1], hosts[2])
            let startRevision = try await client(c) { try await $0.globalCluster().store.revision ?? 0 }

            // A write at A, read at C with min_revision.
            let vm = try await createGlobalEventually(a, globalRequest("on-b", on: "h2"))
            #expect(vm.host?.id == "h2")
            #expect(vm.observed.state == "running")
            let seenAtC = try await client(c) { try await $0.globalVM(id: vm.id, minRevision: vm.revisions.modified) }
            #expect(seenAtC.revisions.modified >= vm.revisions.modified)
            #expect(seenAtC.observed.state == "running")

            // Live status: B answers locally; A and C route to B and relay B's backend's answer.
            let (before, relayed) = try await relayedStatus(vm.id, owner: b, askedAt: [a, c])
            let after = try await client(b) { try await $0.globalStatus(id: vm.id) }
            #expect(before.routed == false && before.servedBy == "h2")
            for routed in relayed {
                #expect(routed.servedBy == "h2")
                // Live figures, not a copy: the sim's counters only grow between B's two local reads.
                let rx = try #require(routed.usage?.network.rxBytes)
                #expect((before.usage?.network.rxBytes ?? .max) <= rx && rx <= (after.usage?.network.rxBytes ?? 0))
                #expect(routed.usage?.memory.limitBytes == 64 << 20)
            }
            // Surface A's usage from C: routed to B transparently.
            let usage = try await client(c) { try await $0.usage(id: vm.id) }
            #expect(usage.memory.limit == 64 << 20)
            // Surface C's sync from A of a VM on B: B reads its backend and answers.
            var vmRequest = globalRequest("vm-on-b", on: "h2")
            vmRequest.kind = "vm"
            let vmOnB = try await createGlobalEventually(a, vmRequest)
            let synced = try await client(a) { try await $0.syncVM(uuid: vmOnB.id) }
            #expect(synced.state == "ACTIVE")
            #expect(synced.workerId == "h2")

            // Internal routes: a client key is refused (403), no credential is 401.
            let withKey = try await client(a) { try await $0.rawGet(["internal", "v1", "instances", vm.id, "status"]) }
            #expect(withKey.status == 403)
            let anonymous = try await FlotillaClient.withClient(
                baseURL: a.url, apiKey: nil, timeout: .seconds(10), tls: tls ? Self.clientTLS.value : nil
            ) {
                try await $0.rawGet(["internal", "v1", "identity"])
            }
            #expect(anonymous.status == 401)

            // Events: stop it through A; a reader on C that disconnects and resumes misses nothing.
            _ = try await client(a) { try await $0.stop(id: vm.id) }
            let stopped = try await eventuallyValue("C reads the VM stopped", timeout: .seconds(30), every: .milliseconds(100)) {
                let seen = try await client(c) { try await $0.globalVM(id: vm.id) }
                return seen.observed.state == "stopped" ? seen : nil
            }
            let end = stopped.revisions.modified
            let whole = try await readEvents(c, since: startRevision, until: end)
            let first = try await readEvents(c, since: startRevision, count: 2)
            let rest = try await readEvents(c, since: try #require(first.last?.revision), until: end)
            #expect((first + rest).map(\.revision) == whole.map(\.revision))
            #expect((first + rest).map(\.instanceId) == whole.map(\.instanceId))
            #expect(whole.contains { $0.type == "instance.created" && $0.instanceId == vm.id })
            #expect(whole.contains { $0.type == "instance.state_changed" && $0.instance?.state == "stopped" })

            // The owner dies: A answers 503 HOST_UNREACHABLE with the registry record, promptly.
            await b.stop(signal: SIGKILL)
            let clock = ContinuousClock()
            let began = clock.now
            let down = try await client(a) { try await $0.rawGet(["api", "v2", "vm", vm.id, "status"]) }
            let took = clock.now - began
            #expect(down.status == 503)
            let body = try #require(try JSONSerialization.jsonObject(with: down.body) as? [String: Any])
            #expect((body["error"] as? [String: Any])?["code"] as? String == "HOST_UNREACHABLE")
            let lastKnown = try #require(body["last_known"] as? [String: Any])
            #expect(lastKnown["id"] as? String == vm.id)
            #expect(body["usage"] == nil)
            print("owner killed: 503 HOST_UNREACHABLE after \(took)")
        }
    }
}

/// The same routing for a docker container: host B runs it in a real daemon; A and C relay B's answer.
@Suite("Surface D on docker across hosts", .serialized, .docker, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct GlobalDockerProcessTests {
    @Test("status of a docker container on B, asked at A and C, is B's live answer from the daemon")
    func dockerStatusAcrossHosts() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let cluster = ClusterProcessTests()
        let created = LockedBox<String?>(nil)
        try await FixtureStack.with { stack in
            // Pushed before the hosts start, so it runs after they were killed: no host recreates the container.
            await stack.push("the test's container") {
                guard let id = created.value else { return }
                for container in (try? docker.containers(label: "io.flotilla.instance=\(id)")) ?? [] {
                    _ = try? docker.cli(["rm", "-f", container])
                }
            }
            try await cluster.withCluster(backends: "sim,docker", environment: ["FLOTILLA_DOCKER_SOCKET": docker.socketPath]) { _, hosts in
                try await Self.statusAcrossHosts(cluster, hosts, created)
            }
        }
    }

    static func statusAcrossHosts(_ cluster: ClusterProcessTests, _ hosts: [ServeProcess], _ created: LockedBox<String?>) async throws {
        let (a, b, c) = (hosts[0], hosts[1], hosts[2])
        let request = Global.CreateRequest(
            name: "docker-on-b", backend: "docker", image: DockerFixture.image,
            command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"], resources: .init(cpuCores: 0.5, memoryMB: 64),
            placement: .init(workerId: "h2"))
        let vm = try await cluster.createGlobalEventually(a, request, within: .seconds(60))
        created.withLock { $0 = vm.id }
        #expect(vm.observed.state == "running")
        let (local, relayed) = try await cluster.relayedStatus(vm.id, owner: b, askedAt: [a, c])
        #expect(local.routed == false && local.servedBy == "h2" && local.backend == "docker")
        for routed in relayed {
            // The daemon's own figures: the container's memory limit as docker reports it.
            #expect(routed.usage?.memory.limitBytes == local.usage?.memory.limitBytes)
            #expect((routed.usage?.memory.usedBytes ?? 0) > 0)
        }
    }
}
