import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Synchronization
import Testing

/// A ``SimBackend`` that answers as the backend of `kind` and records every call, to check what the fence asks of
/// each kind of backend (kvm guests are paused, then killed).
final class RecordingBackend: ComputeBackend {
    let inner = SimBackend()
    let kind: BackendKind
    let calls = Mutex<[String]>([])
    /// How many times each instance was inspected: the agent's looks, which tests wait for before asserting that they
    /// led to nothing.
    let inspections = Mutex<[String: Int]>([:])
    init(kind: BackendKind) { self.kind = kind }

    private func note(_ call: String) { calls.withLock { $0.append(call) } }
    var features: BackendFeatures { inner.features }
    func info() async -> BackendInfo { await inner.info() }
    func create(_ request: BackendCreateRequest) async throws {
        note("create \(request.id)")
        try await inner.create(request)
    }
    func start(id: String) async throws {
        note("start \(id)")
        try await inner.start(id: id)
    }
    func stop(id: String, force: Bool, timeout: Duration) async throws {
        note("stop \(id) force=\(force)")
        try await inner.stop(id: id, force: force, timeout: timeout)
    }
    func restart(id: String, hard: Bool, timeout: Duration) async throws { try await inner.restart(id: id, hard: hard, timeout: timeout) }
    func pause(id: String) async throws {
        note("pause \(id)")
        try await inner.pause(id: id)
    }
    func resume(id: String) async throws { try await inner.resume(id: id) }
    func delete(id: String, force: Bool) async throws {
        note("delete \(id)")
        try await inner.delete(id: id, force: force)
    }
    func update(id: String, resources: Resources) async throws -> Bool { try await inner.update(id: id, resources: resources) }
    func inspect(id: String) async throws -> ObservedInstance {
        inspections.withLock { $0[id, default: 0] += 1 }
        return try await inner.inspect(id: id)
    }
    func inspected(_ id: String) -> Int { inspections.withLock { $0[id] ?? 0 } }
    func usage(id: String) async throws -> InstanceUsage { try await inner.usage(id: id) }
    func list() async throws -> [ObservedInstance] { try await inner.list() }
}

/// The agent's fence in-process (docs/decisions/0016-self-fencing.md): a store session that stops renewing, on the
/// embedded store, with an agent of its own for a host `fenced-host` whose instances are written straight into the
/// registry (running on a kvm-kind and a sim backend, already running there).
@Suite("Agent: the fence stops, holds and lifts")
struct AgentFenceTests {
    static let me = "fenced-host"
    static let bounds = FenceBounds(
        leaseTTL: .seconds(1), fenceAfter: .milliseconds(1500), fenceStopTimeout: .seconds(1), rescheduleGrace: .seconds(6))

    static func instance(_ name: String, _ backend: BackendKind, keep: Bool = false, policy: RestartPolicy = .always) -> Instance {
        var i = Instance(
            id: "id-\(name)", name: name, kind: backend == .kvm ? .vm : .container, backend: backend,
            spec: InstanceSpec(
                config: InstanceConfig(image: "busybox"), placement: PlacementConstraints(onHostLost: keep ? .keep : nil),
                restartPolicy: policy),
            createdAt: Date())
        i.workerId = me
        i.state = .running
        i.desired = .running
        i.appliedGeneration = 1
        i.launchedAt = Date()
        return i
    }

    static func write(_ instance: Instance, to store: any ClusterStore) async throws -> Revision {
        try await store.put(StoreKeys.instance(instance.id), value: StoreCodec.encode(instance))
    }

    @Test(
        "cut off past the bound: kvm paused then killed, sim stopped, the opted-out one untouched; nothing starts until the registry holds a write made after renewing; then restarted by policy, and a copy moved away is deleted"
    )
    func fenceCycle() async throws {
        try await TestHost.with(configure: { $0.rescheduleAfter = .seconds(600) }) { host in
            let store = host.host.store
            let kvm = RecordingBackend(kind: .kvm)
            let sim = RecordingBackend(kind: .sim)
            let vm = Self.instance("vm", .kvm)
            let box = Self.instance("box", .sim)
            let kept = Self.instance("kept", .sim, keep: true)
            let moving = Self.instance("moving", .sim)
            var idle = Self.instance("idle", .sim)
            idle.state = .stopped
            idle.desired = .stopped
            for (i, backend) in [(vm, kvm), (box, sim), (kept, sim), (moving, sim), (idle, sim)] as [(Instance, RecordingBackend)] {
                try await backend.inner.create(BackendCreateRequest(id: i.id, name: i.name, kind: i.kind, spec: i.spec, artifacts: nil))
                if i.desired == .running { try await backend.inner.start(id: i.id) }
                _ = try await Self.write(i, to: store)
            }
            let written = try await store.put("/flotilla/test/marker", value: Data("1".utf8))
            #expect(await host.host.registry.waitForRevision(written, timeout: .seconds(10)))

            let session = StoreSession(bounds: Self.bounds)
            let agent = Agent(
                store: store, registry: host.host.registry, identity: HostIdentity(hostId: Self.me, address: "http://fenced"),
                backends: BackendSet([kvm, sim]), reconciler: Reconciler(backoff: RestartBackoff(initial: 0.2, maximum: 1, resetAfter: 10)),
                session: session)
            let running = Task { try await agent.run() }
            defer { running.cancel() }

            // No renewal is recorded: after 1.5 s the fence is up and stops what runs.
            try await eventually("the fence stopped the vm and the box", timeout: .seconds(20), every: .milliseconds(100)) {
                let vmState = try? await kvm.inspect(id: vm.id).state
                let boxState = try? await sim.inspect(id: box.id).state
                return vmState == .stopped && boxState == .stopped
            }
            let kvmCalls = kvm.calls.withLock { $0 }
            #expect(kvmCalls.prefix(2) == ["pause \(vm.id)", "stop \(vm.id) force=true"], "\(kvmCalls)")
            #expect(sim.calls.withLock { $0 }.contains("stop \(box.id) force=false"))
            #expect(try await sim.inspect(id: kept.id).state == .running, "the opted-out instance keeps running")

            // While fenced: moved elsewhere (the registry is current, but the fence is up: nothing acts yet).
            var moved = moving
            moved.workerId = "elsewhere"
            moved.migratedFrom = nil
            _ = try await Self.write(moved, to: store)
            // A renewal alone does not lift the fence: the fence's watch looks at the vm three more times (it enforces
            // the fence once a second, and checks whether to lift it five times a second) and nothing starts.
            session.renewed(sentAt: .now)
            let looked = kvm.inspected(vm.id)
            try await eventually("the fence is enforced three more times", timeout: .seconds(20), every: .milliseconds(100)) {
                kvm.inspected(vm.id) >= looked + 3
            }
            #expect(!kvm.calls.withLock { $0 }.contains { $0.hasPrefix("start") }, "nothing starts while fenced")
            #expect(!sim.calls.withLock { $0 }.contains { $0.hasPrefix("start") || $0.hasPrefix("delete") })

            // A heartbeat-like write after the renewal; once the registry holds it, the fence lifts.
            let rejoin = try await store.put("/flotilla/test/marker", value: Data("2".utf8))
            session.renewed(sentAt: .now, revision: rejoin)
            let keepRenewing = Task {
                while !Task.isCancelled {
                    session.renewed(sentAt: .now)
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            defer { keepRenewing.cancel() }
            try await eventually(
                "the vm and the box run again, restarted by their policy", timeout: .seconds(20), every: .milliseconds(100)
            ) {
                let r = host.host.registry.read { $0.instances }
                let vmRuns = (try? await kvm.inspect(id: vm.id).state) == .running
                let boxRuns = (try? await sim.inspect(id: box.id).state) == .running
                return r[vm.id]?.value.state == .running && r[box.id]?.value.state == .running && vmRuns && boxRuns
            }
            let restarted = try #require(host.host.registry.read { $0.instances[box.id]?.value })
            #expect(restarted.restarts?.attempts == 1, "counted as a restart by policy: \(String(describing: restarted.restarts))")
            try await eventually("the copy that moved away is deleted, never started", timeout: .seconds(10), every: .milliseconds(100)) {
                (try? await sim.inspect(id: moving.id)) == nil
            }
            #expect(!sim.calls.withLock { $0 }.contains("start \(moving.id)"))
            #expect(try await sim.inspect(id: kept.id).state == .running)
            // An instance that was stopped on purpose before the cut is not the fence's: it stays `stopped`, after the
            // agent looked at it three more times (once per reconcile round).
            let seen = sim.inspected(idle.id)
            try await eventually(
                "the agent looks at the stopped instance three more times", timeout: .seconds(20), every: .milliseconds(100)
            ) {
                sim.inspected(idle.id) >= seen + 3
            }
            let still = try #require(host.host.registry.read { $0.instances[idle.id]?.value })
            #expect(still.state == .stopped && still.desired == .stopped, "\(still.state) \(still.stateDescription ?? "")")
        }
    }
}
