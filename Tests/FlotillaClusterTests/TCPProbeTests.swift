import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("TCP probe of a leader's address")
struct TCPProbeTests {
    /// A listening socket on a free loopback port; returns its descriptor and port.
    func listen() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && Glibc.listen(fd, 8) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("a listening port answers; once closed it refuses; a wrong address says nothing certain")
    func outcomes() async throws {
        let (fd, port) = try listen()
        #expect(await TCPProbe().probe("http://127.0.0.1:\(port)", timeout: .seconds(2)) == .answered)
        close(fd)
        #expect(await TCPProbe().probe("http://127.0.0.1:\(port)", timeout: .seconds(2)) == .refused)
        #expect(await TCPProbe().probe("http://127.0.0.1:0", timeout: .seconds(2)) == .silent)
        #expect(await TCPProbe().probe("not a url", timeout: .seconds(2)) == .silent)
    }
}

@Suite("Leader probe: a leader whose process is gone is deposed at once")
struct LeaderProbeTests {
    @Test("reached, then refusing: its key and heartbeat go though its lease lives; re-elected at the same dead address: left alone")
    func deposesDeadLeader() async throws {
        try await FixtureStack.with { stack in
            let store = try await stack.store(SQLiteStoreHarness())
            let registry = RegistryCache(store: store)
            try await registry.load()
            let (fd, port) = try TCPProbeTests().listen()
            let address = "http://127.0.0.1:\(port)"
            // a lives on in this process and keeps its lease alive: only the probe can explain a deposition.
            let a = HostIdentity(hostId: "a", address: address)
            let election = LeaderElection(
                store: store, registry: registry, identity: a, timings: ClusterTimings(leaseTTL: .seconds(6)), duties: [])
            try await store.put(StoreKeys.alive("a"), value: try StoreCodec.encode(Heartbeat(workerId: "a", at: Date())), lease: nil)
            // The probes b made so far: the test waits for more of them before it asserts that they changed nothing.
            let probes = LockedBox(0)
            let probe = LeaderProbe(
                store: store, registry: registry, identity: HostIdentity(hostId: "b", address: "http://b"), interval: .milliseconds(50),
                reachability: CountingProbe(count: probes))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await registry.run() }
                group.addTask { try await election.run() }
                try await eventually("a leads") { registry.read { $0.leader?.value.hostId } == "a" }
                let term = try #require(registry.read { $0.leader?.createRevision })
                group.addTask { try await probe.run() }
                // The probe has reached a once a connection waits on a's listening socket (never accepted here).
                try await eventually("the probe reaches a") {
                    var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    return poll(&pending, 1, 0) == 1
                }
                let reached = probes.value
                try await eventually("five more probes of a listening leader") { probes.value >= reached + 5 }
                #expect(registry.read { $0.leader?.createRevision } == term, "a listening leader is left alone")
                close(fd)
                try await eventually("a deposed", timeout: .seconds(10)) { registry.read { $0.leader?.createRevision != term } }
                try await eventually("a offline", timeout: .seconds(10)) { registry.read { $0.heartbeats["a"] == nil } }
                // a (alive in this process) campaigns again and wins a new term at the same closed address; the
                // probe never reached that term, so it leaves it alone.
                try await eventually("a notices and leads again", timeout: .seconds(30)) {
                    registry.read { $0.leader.map { $0.createRevision != term } ?? false }
                }
                let second = registry.read { $0.leader?.createRevision }
                let refused = probes.value
                try await eventually("five more probes of a's dead address") { probes.value >= refused + 5 }
                #expect(registry.read { $0.leader?.createRevision } == second)
                group.cancelAll()
            }
        }
    }
}

/// The host's TCP probe, counting the probes made (so a test can wait for more of them).
private struct CountingProbe: ReachabilityProbe {
    let count: LockedBox<Int>

    func probe(_ address: String, timeout: Duration) async -> ProbeOutcome {
        let outcome = await TCPProbe().probe(address, timeout: timeout)
        count.withLock { $0 += 1 }
        return outcome
    }
}
