import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// The fault harness itself: the proxy's modes against an echo server, a cluster of real hosts behind proxies,
/// the invariant checker, a namespaced host's link fault, and that nothing is left behind.
@Suite("Fault harness", .serialized)
struct FaultHarnessTests {
    /// An echo server behind a proxy, a connection through it, all closed afterwards.
    func withProxy(_ body: (FaultProxy, EchoServer, LoopbackSocket) async throws -> Void) async throws {
        let echo = try EchoServer.start()
        let proxy = try await FaultProxy.start(to: echo.address)
        do {
            let socket = try LoopbackSocket.connect(port: Self.port(of: proxy))
            defer { socket.close() }
            try await body(proxy, echo, socket)
        } catch {
            await proxy.close()
            await echo.close()
            throw error
        }
        await proxy.close()
        await echo.close()
    }

    // A bound proxy's address always ends in its port.
    // swift-format-ignore: NeverForceUnwrap
    static func port(of proxy: FaultProxy) -> Int { Int(proxy.address.split(separator: ":").last!)! }

    @Test("pass: bytes go through both ways and the connection is counted")
    func forwards() async throws {
        try await withProxy { proxy, echo, socket in
            try socket.send("hello")
            #expect(try socket.readToEnd(limit: 5) == "hello")
            #expect(echo.receivedText.contains("hello"))
            #expect(proxy.connectionsAccepted == 1)
        }
    }

    @Test("cut: an open connection is reset, a new one is reset at once; pass again: new connections work")
    func cut() async throws {
        try await withProxy { proxy, _, socket in
            try socket.send("a")
            #expect(try socket.readToEnd(limit: 1) == "a")
            proxy.set(.cut)
            #expect(proxy.mode == .cut)
            try await eventually("the open connection is closed") { socket.isClosedByPeer }
            // A new connection is accepted and reset at once: the connect itself may already see the reset.
            if let second = try? LoopbackSocket.connect(port: Self.port(of: proxy)) {
                defer { second.close() }
                try await eventually("a new connection is closed") { second.isClosedByPeer }
            }
            #expect(proxy.connectionsAccepted == 2)
            proxy.set(.pass)
            let third = try LoopbackSocket.connect(port: Self.port(of: proxy))
            defer { third.close() }
            try third.send("b")
            #expect(try third.readToEnd(limit: 1) == "b")
        }
    }

    @Test("blackhole: nothing comes back and the connection stays open; pass again: the held bytes flow")
    func blackhole() async throws {
        try await withProxy { proxy, echo, socket in
            proxy.set(.blackhole)
            try socket.send("held")
            #expect(throws: (any Error).self) { try socket.readToEnd(limit: 4, timeout: .seconds(1)) }
            #expect(!echo.receivedText.contains("held"))
            #expect(!socket.isClosedByPeer)
            proxy.set(.pass)
            #expect(try socket.readToEnd(limit: 4) == "held")
        }
    }

    @Test("delay: an echo takes at least the delay each way")
    func delay() async throws {
        try await withProxy { proxy, _, socket in
            proxy.set(.delay(.milliseconds(400)))
            let start = ContinuousClock.now
            try socket.send("slow")
            #expect(try socket.readToEnd(limit: 4) == "slow")
            // A lower bound only: a slow machine makes it later, never sooner.
            #expect(ContinuousClock.now - start >= .milliseconds(800))
        }
    }

    @Test("dropAfter: a connection is closed after N bytes; the server got exactly N")
    func dropAfter() async throws {
        try await withProxy { proxy, echo, socket in
            proxy.set(.dropAfter(bytes: 4))
            try socket.send("abcdefgh")
            let back = try socket.readToEnd(limit: 100, timeout: .seconds(10))
            #expect("abcd".hasPrefix(back))
            try await eventually("the echo server got abcd") { echo.receivedText.contains("abcd") }
            // Once the proxy has closed its connection to the echo server, no further byte can arrive there.
            try await eventually("the proxy closes its connection to the echo server") { echo.openConnections == 0 }
            #expect(!echo.receivedText.contains("abcde"))
        }
    }

    @Test(
        "a 3-host sim cluster behind proxies: a create through h1 runs on exactly one host; a host cut from etcd still serves /health (503 degraded); afterwards no process of it is left",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func cluster() async throws {
        let (pids, etcdDir) = try await FaultCluster.with(hosts: 3) { cluster in
            let checker = InvariantChecker(cluster: cluster)
            let h1 = cluster.host("h1")
            let created = try await Self.createEventually(through: h1)
            try await eventually("the checker sees \(created.id) running once", timeout: .seconds(30), every: .milliseconds(200)) {
                guard let sample = try? await checker.sample() else { return false }
                return sample.running[created.id] == [created.workerId ?? "?"] && sample.converged(created.id)
            }
            let sample = try await checker.sample()
            #expect(sample.running[created.id]?.count == 1)
            #expect(sample.alive == ["h1", "h2", "h3"])
            #expect(sample.duplicates.isEmpty)

            let owner = cluster.host(created.workerId ?? "h1")
            #expect(await Self.healthStatus(owner.url) == 200)
            owner.setStore(.cut)
            #expect(cluster.schedule.counts["store.cut"] == 1)
            // Cut off from etcd, the host keeps serving and says its store does not answer (503 degraded); a
            // generous cap for a loaded machine.
            try await eventually("\(owner.id) answers /health with 503 while cut off", timeout: .seconds(30)) {
                await Self.healthStatus(owner.url) == 503
            }
            #expect(owner.isRunning)
            let pids = cluster.hosts.map(\.pid)
            return (pids, cluster.etcd.directory)
        }
        for pid in pids { #expect(kill(pid, 0) != 0, "host process \(pid) is still there") }
        #expect(Self.processes(mentioning: etcdDir).isEmpty, "an etcd member of the cluster is still running")
    }

    @Test(
        "the checker's end-of-run checks: a kept create and a delete pass, a create the registry never had is reported lost, and convergence is timed per instance",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func finalChecks() async throws {
        try await FaultCluster.with(hosts: 2) { cluster in
            let checker = InvariantChecker(cluster: cluster)
            let kept = try await Self.createEventually(through: cluster.host("h1"))
            let gone = try await Self.createEventually(through: cluster.host("h2"))
            _ = try await cluster.host("h1").withClient { try await $0.deleteInstance(id: gone.id) }
            let since = ContinuousClock.now
            let times = try await checker.waitConverged(since: since, timeout: .seconds(30))
            #expect(times.keys.contains(kept.id))
            #expect(times[kept.id] != nil && times[kept.id]! != nil)
            #expect(times[gone.id] == nil, "a deleted instance is not live")
            let clean = try await checker.finalCheck(acknowledgedCreates: [kept.id, gone.id], acknowledgedDeletes: [gone.id])
            #expect(clean.isEmpty, "\(clean)")
            let lost = try await checker.finalCheck(
                acknowledgedCreates: [kept.id, "00000000-0000-0000-0000-00000000dead"], acknowledgedDeletes: [])
            #expect(lost.map(\.kind) == ["lostCreate"])
            // The deleted one is acknowledged as a create only: its record is gone, so it counts as lost.
            let deletedButNotAcknowledged = try await checker.finalCheck(acknowledgedCreates: [gone.id], acknowledgedDeletes: [])
            #expect(deletedButNotAcknowledged.map(\.kind) == ["lostCreate"])
        }
    }

    @Test(
        "kill -9 of an etcd member: creates go on and the checker still reads the registry; the member restarts and rejoins",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func etcdMemberKill() async throws {
        try await FaultCluster.with(hosts: 2) { cluster in
            let checker = InvariantChecker(cluster: cluster)
            await cluster.etcdKill(member: 0)
            let created = try await Self.createEventually(through: cluster.host("h2"))
            try await eventually("the checker sees \(created.id) with member 0 down", timeout: .seconds(30), every: .milliseconds(200)) {
                (try? await checker.sample())?.converged(created.id) == true
            }
            try await cluster.etcdRestart(member: 0)
            try await cluster.etcd.waitHealthy()
            #expect(cluster.schedule.counts == ["etcd.kill": 1, "etcd.restart": 1])
            #expect(cluster.schedule.description.contains("etcd.kill m0"))
            // A host whose member was killed may have fenced its instances while it could not renew its lease; it
            // records that (and restarts them) only once the store answers again: the final check follows convergence.
            try await eventually("\(created.id) converged after the restart", timeout: .seconds(60), every: .milliseconds(200)) {
                (try? await checker.sample())?.converged(created.id) == true
            }
            let violations = try await checker.finalCheck(acknowledgedCreates: [created.id], acknowledgedDeletes: [])
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test(
        "a body that throws: the error comes out, and no host, etcd member or proxy of the cluster is left",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func cleanupWhenTheBodyThrows() async throws {
        struct Boom: Error {}
        let seen = LockedBox<(pids: [Int32], etcd: String, proxy: String)>(([], "", ""))
        await #expect(throws: Boom.self) {
            try await FaultCluster.with(hosts: 2) { cluster in
                cluster.host("h2").setStore(.cut)
                seen.withLock { $0 = (cluster.hosts.map(\.pid), cluster.etcd.directory, cluster.host("h1").peerProxy.address) }
                throw Boom()
            }
        }
        let (pids, etcdDir, proxy) = seen.value
        #expect(pids.count == 2)
        for pid in pids { #expect(kill(pid, 0) != 0, "host process \(pid) is still there") }
        #expect(Self.processes(mentioning: etcdDir).isEmpty, "an etcd member of the cluster is still running")
        #expect(!FileManager.default.fileExists(atPath: etcdDir))
        #expect(await Self.healthStatus("http://" + proxy) == nil, "the peer proxy still accepts connections")
    }

    @Test(
        "a namespaced host whose link goes down is seen offline by the others; no namespace is left afterwards",
        .enabled(if: EtcdCluster.testsEnabled && NetworkNamespace.available, "etcd or network namespaces unavailable"))
    func namespacedLinkDown() async throws {
        let before = Set(await NetworkNamespace.existing())
        let name = try await FaultCluster.with(hosts: 3, namespaced: ["h3"]) { cluster in
            let h1 = cluster.host("h1")
            let h3 = cluster.host("h3")
            #expect(h3.url.contains("10.213."))
            try await eventually("h1 sees h3 active", timeout: .seconds(30), every: .milliseconds(200)) {
                (try? await h1.withClient { try await $0.worker(id: "h3") })?.status == "active"
            }
            try await h3.setLink(up: false)
            // The lease TTL is 2 s in the fast bounds; a generous cap for a loaded machine.
            try await eventually("h1 sees h3 offline", timeout: .seconds(60), every: .milliseconds(200)) {
                (try? await h1.withClient { try await $0.worker(id: "h3") })?.status == "offline"
            }
            #expect(h3.isRunning)
            try await h3.setLink(up: true)
            try await eventually("h1 sees h3 active again", timeout: .seconds(60), every: .milliseconds(200)) {
                (try? await h1.withClient { try await $0.worker(id: "h3") })?.status == "active"
            }
            return h3.namespace?.name ?? ""
        }
        let after = Set(await NetworkNamespace.existing())
        #expect(!after.contains(name))
        #expect(after.subtracting(before).isEmpty)
    }

    @Test(
        "kill -9, restart and SIGSTOP of hosts: the restarted host is reached through its peer proxy on its new port, and every host's event stream is followed through it all with no revision going back or skipped",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func restartsAndEvents() async throws {
        try await FaultCluster.with(hosts: 3) { cluster in
            let watch = EventRevisionWatch(cluster: cluster, apiKey: cluster.apiKey)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await watch.run() }
                let (h1, h2, h3) = (cluster.host("h1"), cluster.host("h2"), cluster.host("h3"))
                _ = try await Self.createEventually(through: h1)
                let (pid, url) = (h2.pid, h2.url)
                await h2.kill9()
                #expect(!h2.isRunning)
                #expect(await Self.healthStatus("http://" + h2.peerProxy.address) == nil)
                try await h2.restart()
                #expect(h2.isRunning && h2.pid != pid && h2.url != url)
                #expect(await Self.healthStatus("http://" + h2.peerProxy.address) == 200)
                h3.pause()
                #expect(h3.isPaused && h3.isRunning)
                _ = try await Self.createEventually(through: h1)
                h3.resume()
                #expect(!h3.isPaused)
                _ = try await Self.createEventually(through: h2)
                // Every host catches up with the same last revision; a generous cap for a loaded machine.
                try await eventually("every host delivered the same last revision", timeout: .seconds(60), every: .milliseconds(200)) {
                    let last = watch.lastRevisions
                    return last.count == 3 && Set(last.values).count == 1
                }
                #expect(watch.eventsSeen > 0)
                #expect(watch.violations().isEmpty, "\(watch.violations())")
                #expect(cluster.schedule.counts == ["kill9": 1, "restart": 1, "pause": 1, "resume": 1])
                #expect(h2.log.contains("listening on"))
                group.cancelAll()
            }
        }
    }

    @Test(
        "a docker cluster, one dockerd per host: a docker instance runs on exactly one host's daemon, as the checker sees it",
        .docker, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func dockerCluster() async throws {
        try await FaultCluster.with(hosts: 2, backends: "sim,docker", docker: true) { cluster in
            let checker = InvariantChecker(cluster: cluster)
            #expect(cluster.hosts.allSatisfy { $0.dockerSocket != nil })
            #expect(Set(cluster.hosts.compactMap(\.dockerSocket)).count == 2)
            let created = try await Self.createEventually(
                through: cluster.host("h1"), backend: "docker",
                config: .init(
                    image: DockerFixture.image, command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"], networkMode: "none"))
            try await eventually("the checker sees \(created.id) running once", timeout: .seconds(60), every: .milliseconds(200)) {
                guard let sample = try? await checker.sample() else { return false }
                return sample.running[created.id] == [created.workerId ?? "?"]
            }
            let violations = try await checker.finalCheck(acknowledgedCreates: [created.id], acknowledgedDeletes: [])
            #expect(violations.isEmpty, "\(violations)")
        }
    }

    // MARK: Helpers

    /// Creates a small sim instance through `host`, retrying until it is acknowledged and runs.
    static func createEventually(
        through host: FaultHost, backend: String = "sim", config: Compute.Config = .init(image: "busybox")
    ) async throws -> Compute.Instance {
        let request = Compute.CreateRequest(
            name: "harness-\(UUID().uuidString.prefix(6).lowercased())", backend: backend, config: config,
            resources: .init(cpu: .init(cores: 0.5), memory: .init(limit: 64 << 20)))
        let instance = try await eventuallyValue(
            "a create of \(request.name ?? "-") is acknowledged", timeout: .seconds(60), every: .milliseconds(300), retryingErrors: true
        ) {
            try await host.withClient { try await $0.createInstance(request) }.0
        }
        if instance.state == "running" { return instance }
        try await eventually("\(instance.id) runs", timeout: .seconds(30)) {
            (try? await host.withClient { try await $0.instance(id: instance.id) })?.state == "running"
        }
        return try await host.withClient { try await $0.instance(id: instance.id) }
    }

    /// The status of `GET /health` at a loopback `http://127.0.0.1:PORT` or `127.0.0.1:PORT` (2 s deadline), nil
    /// without an answer. A raw socket, not URLSession: FoundationNetworking traps on a connection closed without
    /// an answer, which is what a proxy in front of a dead host does.
    static func healthStatus(_ address: String) async -> Int? {
        guard let port = address.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
        return (try? LoopbackSocket.status(of: "/health", port: port, timeout: .seconds(2))) ?? nil
    }

    /// Ids of live processes whose command line mentions `text`.
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let cmdline = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmdline.contains(text) ? pid : nil
        }
    }
}
