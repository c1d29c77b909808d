import FlotillaCluster
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import Synchronization

/// One run of the fleet simulator (``FleetBenchCommand``): start the fleet, place instances, hold, kill, report.
struct FleetRun {
    let options: FleetBenchCommand
    let leader: FlotillaHost
    /// The simulated workers' store clients: worker i uses `fleetStores[i / options.workersPerClient]`.
    let fleetStores: [any ClusterStore]
    let observerStore: any ClusterStore
    let registry: RegistryCache
    let etcd: BenchEtcdCluster?
    let logger: Logger
    let progress = ProgressLine()
    let registrationRetries = RetryCount()
    let loopLag = LoopLag()

    func measure() async throws {
        let ttl = Duration.seconds(options.leaseTTL)
        var bounds = FenceBounds.default
        bounds.leaseTTL = ttl
        bounds.fenceAfter = max(bounds.fenceAfter, ttl)
        let withAgents = options.agents || options.instances > 0
        let probes = SimulatedWorker.Probes(ring: ProbeRingSource(registry: registry), key: ProbeKey(clusterSecret: "fleet"))
        var workers: [SimulatedWorker] = []
        for i in 0..<options.workers {
            let transport =
                options.peerProbes ? try await UDPProbeTransport.bind(host: "127.0.0.1", port: 0, advertisedHost: "127.0.0.1") : nil
            workers.append(
                SimulatedWorker(
                    id: String(format: "sim-%05d", i), zone: "z\(i % 3)", store: fleetStores[i / options.workersPerClient],
                    registry: registry, timings: ClusterTimings(leaseTTL: ttl),
                    heartbeats: HeartbeatPlan(baseInterval: .seconds(options.heartbeat)), fenceBounds: bounds, withAgent: withAgents,
                    probes: transport.map { (probes, $0) }, logger: logger))
        }
        print(
            "fleet: \(workers.count) simulated workers, lease TTL \(options.leaseTTL) s (kept alive every TTL/3), "
                + "peer probes \(options.peerProbes ? "on" : "off"), heartbeat record every "
                + "\(options.heartbeat) s, agents \(withAgents ? "on" : "off"), store \(etcd.map { "etcd, \($0.endpoints.count) members" } ?? fleetStores[0].kind), "
                + "\(fleetStores.count) store client(s) of up to \(options.workersPerClient) workers"
        )
        let startedAt = ContinuousClock.now
        let sampling = Task { await loopLag.run() }
        defer { sampling.cancel() }
        let usage = UsageMeter(etcd: etcd, loopLag: loopLag)
        let ticking = options.peerProbes ? Task { await Self.tickProbes(workers) } : nil
        defer { ticking?.cancel() }
        let running = try await register(workers, usage: usage)
        defer { for task in running { task.cancel() } }
        let ids = Set(workers.map(\.id))
        try await until("the leader sees every worker alive", within: .seconds(120 + workers.count / 50)) {
            let alive = leader.registry.read { state in ids.filter { state.heartbeats[$0] != nil }.count }
            progress.print("  alive at the leader: \(alive) of \(ids.count)")
            return alive == ids.count
        }
        print(
            String(format: "registered and seen alive by the leader in %.1f s", seconds(since: startedAt))
                + ", registrations tried again \(registrationRetries.count)")
        let observer = FleetObserver()
        let from = try await observerStore.status().revision + 1
        let observing = Task { try await observer.follow(observerStore, from: from) }
        defer { observing.cancel() }
        if options.instances > 0 { try await place(options.instances) }

        _ = usage.sample()
        let holdStart = ContinuousClock.now
        let step = max(1, min(60, options.seconds / 6))
        var held = 0
        while held < options.seconds {
            try await Task.sleep(for: .seconds(min(step, options.seconds - held)))
            held = min(options.seconds, held + step)
            let alive = leader.registry.read { state in ids.filter { state.heartbeats[$0] != nil }.count }
            print(
                String(format: "  %4d s: %d of %d alive at the leader, ", held, alive, ids.count)
                    + "false offline so far \(observer.offline(except: []).values.reduce(0, +)), \(usage.sample())")
        }
        let falseOffline = observer.offline(except: [])
        print(
            String(format: "held %d workers for %.0f s: ", ids.count, seconds(since: holdStart))
                + "false offline \(falseOffline.values.reduce(0, +)) (goal 0)\(falseOffline.isEmpty ? "" : ": \(falseOffline.keys.sorted().prefix(10))"), "
                + "heartbeat writes seen \(observer.heartbeatWrites)")
        guard options.kill > 0 else { return }
        try await killBatch(workers, running: running, observer: observer)
    }

    /// Registers every worker, `options.registering` at a time, and starts each one's keep-alive (and agent) as soon
    /// as it is registered, as a host does; returns the running workers' tasks, in the workers' order.
    private func register(_ workers: [SimulatedWorker], usage: UsageMeter) async throws -> [Task<Void, any Error>] {
        var running: [Task<Void, any Error>?] = Array(repeating: nil, count: workers.count)
        try await withThrowingTaskGroup(of: Int.self) { group in
            var next = 0
            func start() {
                let index = next
                group.addTask {
                    // As a host does (``Membership`` registers again with a back-off): a registration the loaded store
                    // did not answer in time is tried again, and counted; the tenth failure in a row ends the run.
                    var attempt = 1
                    while true {
                        do {
                            try await workers[index].register()
                            return index
                        } catch let error where attempt < 10 && !(error is CancellationError) {
                            registrationRetries.add()
                            try await Task.sleep(for: .milliseconds(500 * attempt))
                            attempt += 1
                        }
                    }
                }
                next += 1
            }
            while next < min(options.registering, workers.count) { start() }
            var done = 0
            while let index = try await group.next() {
                running[index] = Task { try await workers[index].run() }
                done += 1
                progress.print(
                    "  registered: \(done) of \(workers.count), registrations tried again \(registrationRetries.count), \(usage.sample())")
                if next < workers.count { start() }
            }
        }
        return running.compactMap { $0 }
    }

    /// Writes `count` pending instances and waits until the leader placed them and the agents run them all.
    private func place(_ count: Int) async throws {
        let start = ContinuousClock.now
        var ops: [TxnOp] = []
        for i in 0..<count {
            let instance = Instance(
                id: UUID().uuidString.lowercased(), name: "fleet-\(i)", kind: .container, backend: .sim,
                spec: InstanceSpec(
                    config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.5, memoryBytes: 256 << 20),
                    placement: PlacementConstraints(strategy: .spread)),
                createdAt: Date())
            ops.append(.put(StoreKeys.instance(instance.id), try StoreCodec.encode(instance)))
        }
        try await putInChunks(ops, fleetStores[0])
        let written = seconds(since: start)
        try await until("every instance running", within: .seconds(120 + count / 100)) {
            leader.registry.read { $0.instances.values.filter { $0.value.state == .running }.count } >= count
        }
        print(
            String(
                format: "%d instances written in %.1f s, placed and running on the fleet %.1f s after the first", count, written,
                seconds(since: start)))
    }

    /// Kills `options.kill` workers spread over the fleet at once; reports when the leader and another host saw each
    /// offline and, with instances, when the leader had them running elsewhere.
    private func killBatch(_ workers: [SimulatedWorker], running: [Task<Void, any Error>], observer: FleetObserver) async throws {
        let stride = workers.count / options.kill
        let victims = (0..<options.kill).map { $0 * stride }
        let killed = Set(victims.map { workers[$0].id })
        let holding = leader.registry.read { state in killed.reduce(0) { $0 + state.instances.liveIds(onWorker: $1).count } }
        let t0 = ContinuousClock.now
        for index in victims {
            workers[index].kill()
            running[index].cancel()
        }
        var seenByLeader: [String: ContinuousClock.Instant] = [:]
        let deadline = t0 + .seconds(60)
        while seenByLeader.count < killed.count, ContinuousClock.now < deadline {
            let gone = leader.registry.read { state in killed.filter { state.heartbeats[$0] == nil } }
            let now = ContinuousClock.now
            for worker in gone where seenByLeader[worker] == nil { seenByLeader[worker] = now }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(200))
        let seenByObserver = observer.firstOffline(of: killed, since: t0)
        print("killed \(killed.count) workers at once (\(holding) instances on them):")
        print("  offline at the leader:     " + Self.summary(seenByLeader.values.map { seconds(t0.duration(to: $0)) }, of: killed.count))
        print("  offline at another client: " + Self.summary(seenByObserver.values.map { seconds(t0.duration(to: $0)) }, of: killed.count))
        let falseOffline = observer.offline(except: killed)
        print("false offline over the whole run: \(falseOffline.values.reduce(0, +)) (goal 0)")
        guard holding > 0 else { return }
        try await until("the killed workers' instances running elsewhere", within: leader.configuration.rescheduleAfter + .seconds(120)) {
            leader.registry.read { state in
                killed.allSatisfy { state.instances.liveIds(onWorker: $0).isEmpty }
                    && state.instances.values.filter { $0.value.state == .running && killed.contains($0.value.migratedFrom ?? "") }.count
                        >= holding
            }
        }
        print(
            String(
                format: "the leader rescheduled all %d instances and they run elsewhere %.1f s after the kill (reschedule grace %@)",
                holding, seconds(since: t0), "\(leader.configuration.rescheduleAfter)"))
    }

    /// Ticks every live worker's probes from one loop: a timer per worker would cost the simulator more than the
    /// probes themselves. A worker's tick only sends datagrams; the rare deletions it asks for run on their own. The
    /// workers are ticked in `slices` spread over the interval, as real hosts' timers are: ticking all at once sent
    /// every ping of the fleet in one burst, and the event loops answered the last of them hundreds of ms late.
    static func tickProbes(_ workers: [SimulatedWorker], slices: Int = 20) async {
        guard let interval = workers.first?.probe?.tickInterval else { return }
        let slices = max(1, min(slices, workers.count))
        var next = ContinuousClock.now
        var slice = 0
        while !Task.isCancelled {
            for index in Swift.stride(from: slice, to: workers.count, by: slices) where !workers[index].isKilled {
                guard let probe = workers[index].probe else { continue }
                for target in probe.tick() { Task { await probe.markOffline(target) } }
            }
            slice = (slice + 1) % slices
            next = next + interval / slices
            try? await Task.sleep(until: next)
        }
    }

    /// Median, p99 and max of `values` seconds, with how many of `of` are in it.
    static func summary(_ values: [Double], of total: Int) -> String {
        let sorted = values.sorted()
        func pick(_ p: Double) -> Double {
            sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
        }
        return String(format: "%d of %d, median %.2f s, p99 %.2f s, max %.2f s", sorted.count, total, pick(0.5), pick(0.99), pick(1))
    }

    /// Polls `condition` every 100 ms; fails naming `what` after `within`.
    private func until(_ what: String, within: Duration, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + within
        while !condition() {
            guard ContinuousClock.now < deadline else { throw BenchError("timed out waiting for \(what) (\(within))") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// CPU use of this process and the etcd members between samples, and the load average.
final class UsageMeter: Sendable {
    private let etcd: BenchEtcdCluster?
    private let loopLag: LoopLag
    private let last: Mutex<(at: ContinuousClock.Instant, own: Double, etcd: Double)>

    init(etcd: BenchEtcdCluster?, loopLag: LoopLag) {
        self.etcd = etcd
        self.loopLag = loopLag
        last = Mutex((.now, ProcessUsage.read(pid: getpid()).cpuSeconds, etcd?.usage.cpuSeconds ?? 0))
    }

    /// "simulator N% CPU, etcd N% CPU (RSS), event loops up to N ms late, load a b c" since the last sample.
    func sample() -> String {
        let own = ProcessUsage.read(pid: getpid())
        let members = etcd?.usage ?? (rssMB: 0, cpuSeconds: 0)
        let now = ContinuousClock.now
        let (ownShare, etcdShare) = last.withLock { last in
            let span = max(0.001, seconds(last.at.duration(to: now)))
            defer { last = (now, own.cpuSeconds, members.cpuSeconds) }
            return ((own.cpuSeconds - last.own) / span * 100, (members.cpuSeconds - last.etcd) / span * 100)
        }
        let load =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        return String(
            format: "simulator+leader %.0f%% CPU %.0f MB, etcd %.0f%% CPU %.0f MB, event loops up to %.0f ms late, load %@", ownShare,
            own.rssMB, etcdShare, members.rssMB, seconds(loopLag.take()) * 1000, load)
    }
}

/// Prints a progress line at most every 10 s.
final class ProgressLine: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    func print(_ line: @autoclosure () -> String) {
        let now = ContinuousClock.now
        let due = last.withLock { last in
            guard last.map({ $0.duration(to: now) >= .seconds(10) }) ?? true else { return false }
            last = now
            return true
        }
        if due { Swift.print(line()) }
    }
}

/// How many registrations were tried again.
final class RetryCount: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
