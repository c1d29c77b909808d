import FlotillaBackends
import FlotillaCore
import Foundation
import Synchronization

/// Checks a ``FaultCluster``'s invariants from outside: it reads the registry from etcd directly (no host in the
/// way) and every host's backend directly: the sim backend's state file (`--sim-state-file`), and a docker host's
/// own dockerd.
///
/// What "running on a host" means: sim instances live inside their serve process, so a dead process runs
/// nothing, and a SIGSTOP'd one, or one whose crash report the backtracer is writing, is frozen (counted as not
/// running; the crash itself fails the run, see ``ChaosRun``); a state file written by an earlier process of
/// the host (another pid) is ignored. Docker containers run whatever their host process does, so a docker host
/// is read also while its serve process is dead or paused, and a daemon that does not answer fails the sample.
/// Hosts are read concurrently, one sample at a time; a move from one host to another between two reads of one
/// sample could in principle look like a duplicate, but the reads take milliseconds while a fenced move takes
/// seconds.
public final class InvariantChecker: Sendable {
    private let cluster: FaultCluster
    private let reader: EtcdRangeReader
    private let watched = Mutex<(samples: Int, duplicates: [InvariantViolation])>((0, []))

    public init(cluster: FaultCluster) {
        self.cluster = cluster
        reader = EtcdRangeReader(endpoints: cluster.registryEndpoints)
    }

    /// One look at the registry and every backend.
    public func sample() async throws -> InvariantSample {
        async let running = backends()
        let ranges = try await reader.ranges([StoreKeys.instances, StoreKeys.workers, StoreKeys.alive])
        let (instances, workers, alive) = (ranges[0], ranges[1], ranges[2])
        var registry: [String: Instance] = [:]
        for kv in instances.kvs {
            if let instance = try? StoreCodec.decode(Instance.self, from: kv.value) { registry[instance.id] = instance }
        }
        var workerRecords: [String: Worker] = [:]
        for kv in workers.kvs {
            if let worker = try? StoreCodec.decode(Worker.self, from: kv.value) { workerRecords[worker.id] = worker }
        }
        let aliveIds = Set(alive.kvs.map { String($0.key.dropFirst(StoreKeys.alive.count)) })
        return InvariantSample(
            at: .now, revision: instances.revision, registry: registry, workers: workerRecords, alive: aliveIds,
            running: try await running)
    }

    /// Samples every `every` until the calling task is cancelled, recording each instance seen running on two
    /// hosts in one sample (``duplicateViolations``). A sample that fails (etcd unreachable) is skipped.
    public func watch(every: Duration = .milliseconds(200)) async {
        while !Task.isCancelled {
            if let sample = try? await sample() {
                let found = sample.duplicates.sorted { $0.key < $1.key }.map { id, hosts in
                    InvariantViolation(
                        kind: "duplicate",
                        detail: "\(id) running on \(hosts.sorted().joined(separator: ",")) at +\(sample.at - cluster.schedule.start)")
                }
                watched.withLock {
                    $0.samples += 1
                    $0.duplicates += found
                }
            }
            try? await Task.sleep(for: every)
        }
    }

    /// Every duplicate ``watch(every:)`` saw, in order.
    public var duplicateViolations: [InvariantViolation] { watched.withLock { $0.duplicates } }

    /// How many samples ``watch(every:)`` took.
    public var samplesTaken: Int { watched.withLock { $0.samples } }

    /// The end-of-run checks, on one sample: every acknowledged create present once (a live record unless an
    /// acknowledged delete followed) and running at most once; every acknowledged delete gone (record deleted or
    /// absent, and no backend runs it); nothing runs that the registry does not hold live; no worker allocated
    /// over its capacity (sum of its live instances' cpu and memory); desired == observed for every live instance.
    public func finalCheck(acknowledgedCreates: Set<String>, acknowledgedDeletes: Set<String>) async throws -> [InvariantViolation] {
        let sample = try await sample()
        var violations: [InvariantViolation] = []
        func add(_ kind: String, _ detail: String) { violations.append(InvariantViolation(kind: kind, detail: detail)) }
        for id in acknowledgedCreates.subtracting(acknowledgedDeletes).sorted() {
            if sample.registry[id]?.isLive != true { add("lostCreate", "\(id): acknowledged, no live record") }
        }
        for id in acknowledgedDeletes.sorted() {
            if let instance = sample.registry[id], instance.isLive { add("deleteNotGone", "\(id): record still \(instance.state)") }
            if let hosts = sample.running[id], !hosts.isEmpty {
                add("deleteNotGone", "\(id): still running on \(hosts.sorted().joined(separator: ","))")
            }
        }
        for (id, hosts) in sample.running.sorted(by: { $0.key < $1.key }) {
            if hosts.count > 1 { add("duplicate", "\(id) running on \(hosts.sorted().joined(separator: ","))") }
            if sample.registry[id]?.isLive != true && !acknowledgedDeletes.contains(id) {
                add("orphan", "\(id) running on \(hosts.sorted().joined(separator: ",")) without a live record")
            }
        }
        violations += Self.overAllocated(sample)
        for (id, instance) in sample.registry.sorted(by: { $0.key < $1.key }) where instance.isLive && !sample.converged(id) {
            add(
                "notConverged",
                "\(id): desired \(instance.desired), state \(instance.state), worker \(instance.workerId ?? "-"), "
                    + "running on [\((sample.running[id] ?? []).sorted().joined(separator: ","))]")
        }
        return violations
    }

    /// Samples (every 200 ms) until every live instance has converged and nothing runs twice, or `timeout`.
    /// Returns, per live instance of the last sample, how long after `since` it was first seen converged for good
    /// (nil: it never was).
    public func waitConverged(since: ContinuousClock.Instant, timeout: Duration) async throws -> [String: Duration?] {
        let deadline = ContinuousClock.now + timeout
        var convergedAt: [String: ContinuousClock.Instant] = [:]
        var last: InvariantSample?
        while true {
            if let sample = try? await sample() {
                last = sample
                for id in sample.registry.keys where sample.registry[id]?.isLive == true {
                    if sample.converged(id) {
                        if convergedAt[id] == nil { convergedAt[id] = sample.at }
                    } else {
                        convergedAt[id] = nil
                    }
                }
                let live = sample.registry.values.filter(\.isLive).map(\.id)
                let all =
                    live.allSatisfy { convergedAt[$0] != nil } && sample.duplicates.isEmpty
                    && sample.running.keys.allSatisfy { sample.converged($0) }
                if all { break }
            }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        guard let last else { throw ProcessFailure("no sample of the cluster could be taken within \(timeout)") }
        var result: [String: Duration?] = [:]
        for instance in last.registry.values where instance.isLive {
            result[instance.id] = convergedAt[instance.id].map { max($0 - since, .zero) }
        }
        return result
    }

    // MARK: Private

    /// Workers whose live instances hold more cpu or memory than they offer.
    static func overAllocated(_ sample: InvariantSample) -> [InvariantViolation] {
        var cpu: [String: Double] = [:]
        var memory: [String: Int64] = [:]
        for instance in sample.registry.values where instance.isLive {
            guard let worker = instance.workerId else { continue }
            cpu[worker, default: 0] += instance.spec.resources.cpuCores
            memory[worker, default: 0] += instance.spec.resources.memoryMB
        }
        return sample.workers.values.sorted { $0.id < $1.id }.compactMap { worker in
            let usedCPU = cpu[worker.id] ?? 0
            let usedMemory = memory[worker.id] ?? 0
            guard usedCPU > worker.capacity.cpuCores + 1e-9 || usedMemory > worker.capacity.memoryMB else { return nil }
            return InvariantViolation(
                kind: "overAllocated",
                detail: "\(worker.id): \(usedCPU) of \(worker.capacity.cpuCores) cores, \(usedMemory) of \(worker.capacity.memoryMB) MiB")
        }
    }

    /// Instance id -> hosts that run it, every host read concurrently.
    private func backends() async throws -> [String: [String]] {
        try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for host in cluster.hosts {
                group.addTask { (host.id, try await Self.runningIds(on: host)) }
            }
            var running: [String: [String]] = [:]
            for try await (host, ids) in group {
                for id in ids { running[id, default: []].append(host) }
            }
            return running.mapValues { $0.sorted() }
        }
    }

    /// The instances running on one host's backends now. A docker daemon that does not answer fails the read
    /// (a sample must not report "nothing runs" for a backend it could not see).
    static func runningIds(on host: FaultHost) async throws -> [String] {
        var ids: [String] = []
        if host.isRunning && !host.isPaused && !host.hasCrashed,
            let file = try? SimStateFile.read(host.simStateFile), file.pid == host.pid
        {
            ids += file.instances.filter { $0.state == "running" }.map(\.id)
        }
        if let socket = host.dockerSocket {
            let backend = DockerBackend(configuration: .init(socketPath: socket, requestTimeout: .seconds(5)))
            ids += try await backend.list().filter { $0.state == .running }.map(\.id)
        }
        return ids
    }

}
