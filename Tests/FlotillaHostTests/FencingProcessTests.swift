import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// Self-fencing on real hosts and a real 3-member etcd (docs/decisions/0016-self-fencing.md): a host cut off from
/// the store by its proxies (still running, still serving) stops its instances before the leader may place them
/// elsewhere, so the invariant checker, which reads every host's backend directly, never sees two running copies.
@Suite(
    "Self-fencing: a cut-off host stops its instances first", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct FencingProcessTests {
    static func request(_ name: String, backend: String, placement: Compute.Placement? = nil) -> Compute.CreateRequest {
        Compute.CreateRequest(
            name: name, backend: backend,
            config: .init(
                image: backend == "docker" ? DockerFixture.image : "busybox", command: backend == "docker" ? ["sleep", "3600"] : nil),
            resources: .init(cpu: .init(cores: 0.25), memory: .init(limit: 64 << 20)), placement: placement)
    }

    /// Creates `count` instances through the hosts in turn until each runs; returns them by id.
    static func createRunning(_ cluster: FaultCluster, _ count: Int, backend: String, prefix: String) async throws -> [Compute.Instance] {
        var made: [Compute.Instance] = []
        for i in 0..<count {
            let host = cluster.hosts[i % cluster.hosts.count]
            var created: Compute.Instance?
            try await eventually("\(prefix)-\(i) created", timeout: .seconds(60), every: .milliseconds(300)) {
                created = try? await host.withClient(timeout: .seconds(15)) {
                    try await $0.createInstance(request("\(prefix)-\(i)", backend: backend), wait: true).0
                }
                return created != nil
            }
            made.append(try #require(created))
        }
        return made
    }

    /// The host that holds most of `instances` and is not the leader (so leadership does not move as well).
    static func victim(_ cluster: FaultCluster, _ instances: [Compute.Instance]) async throws -> FaultHost {
        var leader: String?
        for host in cluster.hosts {
            if let h = try? await host.withClient(timeout: .seconds(15), { try await $0.health() }), h.role == "leader" { leader = host.id }
        }
        let counts = Dictionary(grouping: instances.compactMap(\.workerId), by: { $0 }).mapValues(\.count)
        let pick = cluster.hosts.filter { $0.id != leader }.max { (counts[$0.id] ?? 0) < (counts[$1.id] ?? 0) }
        return try #require(pick)
    }

    /// Cuts `victim` off from etcd and checks, while the checker samples every backend every 200 ms: its
    /// instances run on other hosts after the grace, it still serves, the opted-out instance keeps running on it,
    /// and no instance ever runs twice; then heals and checks every instance runs exactly once.
    func cutOff(backend: String, docker: Bool) async throws {
        try await FaultCluster.with(hosts: 3, backends: backend, docker: docker) { cluster in
            let instances = try await Self.createRunning(cluster, 6, backend: backend, prefix: "fence-\(backend)")
            let victim = try await Self.victim(cluster, instances)
            let kept = try await victim.withClient(timeout: .seconds(15)) {
                try await $0.createInstance(
                    Self.request("kept-\(backend)", backend: backend, placement: .init(workerId: victim.id, onHostLost: "keep")), wait: true
                ).0
            }
            #expect(kept.workerId == victim.id && kept.state == "running")
            let moved = instances.filter { $0.workerId == victim.id }.map(\.id)
            try #require(!moved.isEmpty, "spread put some of six instances on \(victim.id)")
            let others = cluster.hosts.filter { $0.id != victim.id }

            let checker = InvariantChecker(cluster: cluster)
            let watching = Task { await checker.watch(every: .milliseconds(200)) }
            defer { watching.cancel() }

            victim.setStore(.cut)
            // Replaced elsewhere after the grace; meanwhile the victim keeps serving its API.
            for id in moved {
                try await eventually("\(id) runs away from \(victim.id)", timeout: .seconds(90), every: .milliseconds(300)) {
                    let seen = try? await others[0].withClient(timeout: .seconds(15)) { try await $0.instance(id: id) }
                    return seen?.state == "running" && seen?.workerId != victim.id
                }
            }
            // Still serving: /health answers, and says the store is out of reach (503 degraded).
            let health = try await victim.withClient(timeout: .seconds(15)) { try await $0.rawGet(["health"]) }
            let said = String(decoding: health.body, as: UTF8.self)
            #expect(health.status == 503 && said.contains(#""status":"degraded""#), "the cut-off host still answers /health: \(said)")
            let during = try await checker.sample()
            #expect(
                during.running[kept.id] == [victim.id], "the opted-out instance keeps running on its host: \(during.running[kept.id] ?? [])"
            )
            #expect(during.registry[kept.id]?.workerId == victim.id, "and is not rescheduled")
            for id in moved {
                #expect(during.running[id]?.count == 1 && during.running[id]?.first != victim.id, "\(id): \(during.running[id] ?? [])")
            }
            #expect(victim.log.contains("fencing this host's instances"), "the victim says it fenced")

            // Heal: the victim rejoins, deletes its fenced copies, and every instance runs exactly once.
            victim.setStore(.pass)
            try await eventually("\(victim.id) active again", timeout: .seconds(60), every: .milliseconds(300)) {
                (try? await others[0].withClient(timeout: .seconds(15)) { try await $0.worker(id: victim.id) })?.status == "active"
            }
            let all = Set(instances.map(\.id) + [kept.id])
            try await eventually("every instance runs exactly once", timeout: .seconds(60), every: .milliseconds(300)) {
                guard let s = try? await checker.sample() else { return false }
                return all.allSatisfy { s.running[$0]?.count == 1 }
            }
            try await eventually("the victim's fenced copies are deleted", timeout: .seconds(60), every: .milliseconds(300)) {
                guard let s = try? await checker.sample() else { return false }
                return moved.allSatisfy { s.running[$0] != [victim.id] } && victim.log.contains("fence lifted")
            }
            watching.cancel()
            _ = await watching.value
            #expect(checker.duplicateViolations.isEmpty, "\(checker.duplicateViolations)")
            #expect(checker.samplesTaken > 20, "the checker sampled throughout (\(checker.samplesTaken))")
            print(
                "fencing \(backend): \(moved.count) instances moved off \(victim.id), \(checker.samplesTaken) samples, "
                    + "\(checker.duplicateViolations.count) duplicates")
        }
    }

    @Test("sim: a host cut off from etcd stops its instances before their replacements start; never two copies; once each after the heal")
    func simCutOff() async throws {
        try await cutOff(backend: "sim", docker: false)
    }

    @Test("docker: the same on real dockerds, one per host", .docker)
    func dockerCutOff() async throws {
        try await cutOff(backend: "docker", docker: true)
    }

    @Test("a SIGSTOP'd leader that wakes after its lease expired does not write and steps down; the new leader's term stands")
    func pausedLeader() async throws {
        try await FaultCluster.with(hosts: 3, backends: "sim") { cluster in
            _ = try await Self.createRunning(cluster, 3, backend: "sim", prefix: "before-pause")
            var leaderHost: FaultHost?
            try await eventually("a leader", timeout: .seconds(30), every: .milliseconds(200)) {
                for host in cluster.hosts {
                    if let h = try? await host.withClient(timeout: .seconds(15), { try await $0.health() }), h.role == "leader" {
                        leaderHost = host
                    }
                }
                return leaderHost != nil
            }
            let old = try #require(leaderHost)
            let others = cluster.hosts.filter { $0.id != old.id }
            let oldTerm = try await others[0].withClient(timeout: .seconds(15)) { try await $0.globalCluster() }.leader?.term
            old.pause()
            var newTerm: Int64?
            try await eventually("another host leads", timeout: .seconds(60), every: .milliseconds(300)) {
                let status = try? await others[0].withClient(timeout: .seconds(15)) { try await $0.globalCluster() }
                newTerm = status?.leader?.term
                return status?.leader != nil && status?.leader?.id != old.id
            }
            // The new leader works: a create is placed while the old one sleeps (past its lease, past the grace).
            let placed = try await others[0].withClient(timeout: .seconds(15)) {
                try await $0.createInstance(Self.request("while-paused", backend: "sim"), wait: true).0
            }
            #expect(placed.state == "running" && placed.workerId != old.id)
            try await Task.sleep(for: .seconds(7))
            old.resume()
            try await eventually("the old leader steps down", timeout: .seconds(30), every: .milliseconds(300)) {
                (try? await old.withClient(timeout: .seconds(15)) { try await $0.health() })?.role == "follower"
            }
            // Paused while asleep between renewals, its own clock says the lease lapsed; paused in the few
            // milliseconds after a renewal and before it reads the leader key back, that read shows the key changed
            // hands. Either way it steps down before its duties write (they are fenced on the key's revision).
            let log = old.log
            #expect(
                log.contains("leader lease lapsed on this host's clock") || log.contains("leader key changed hands"),
                "it noticed before writing, on its own clock or from the key")
            let after = try await others[1].withClient(timeout: .seconds(15)) { try await $0.globalCluster() }
            #expect(
                after.leader?.term == newTerm && newTerm != oldTerm, "the new leader's term stands: \(String(describing: after.leader))")
            #expect(after.leader?.id != old.id)
            // The cluster still works through the old leader.
            _ = try await old.withClient(timeout: .seconds(15)) {
                try await $0.createInstance(Self.request("after-wake", backend: "sim"), wait: true)
            }
        }
    }

    @Test("serve refuses bounds out of order: a non-zero exit naming the options and the smallest grace that would do; nothing starts")
    func boundsChecked() async throws {
        try await withTemporaryDirectory { dir in
            let refused = try await ServeProcess.runUntilExit(
                dataDir: dir + "/h", extra: ["--reschedule-after", "1"], timeout: .seconds(30))
            #expect(refused.status != 0)
            #expect(
                refused.err.contains("--reschedule-after (1 s) is too short for --fence-after (5 s) plus --fence-stop-timeout (4 s)")
                    && refused.err.contains("use at least 12 s"), "\(refused.err)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/h"), "nothing was written before the check")
            let early = try await ServeProcess.runUntilExit(
                dataDir: dir + "/h", extra: ["--lease-ttl", "6", "--fence-after", "5"], timeout: .seconds(30))
            #expect(early.status != 0)
            #expect(early.err.contains("--fence-after (5 s) must be at least --lease-ttl (6 s)"), "\(early.err)")
        }
    }
}
