import FlotillaAPI
import FlotillaClient
import FlotillaCore
import Foundation

/// The randomized chaos run of issue 13 (docs/reliability.md): for a bounded time, clients create, act on and
/// delete instances through random hosts of a ``FaultCluster`` while a fault loop injects the faults of a
/// ``ChaosPlan``; an ``InvariantChecker`` and an ``EventRevisionWatch`` look on the whole time. At the end
/// everything heals, the run waits for the cluster to converge and checks what was acknowledged.
///
/// Seeded: each loop draws from its own stream of the seed, so the same seed gives the same sequence of draws:
/// the same faults on the same targets for the same durations, and per client the same hosts and kinds of
/// operation. What a draw leads to (which instance an action hits, whether it is acknowledged) and when it
/// happens depend on the machine's timing.
public struct ChaosRun: Sendable {
    public struct Options: Sendable {
        public var seed: UInt64
        public var duration: Duration
        /// Concurrent client loops.
        public var clients = 4
        /// Acknowledged, not deleted instances at most (a create drawn above it is skipped).
        public var maxLive = 30
        /// The deadline of every client call.
        public var callTimeout: Duration = .seconds(10)
        /// How long the cluster gets to converge after the last heal.
        public var convergenceTimeout: Duration = .seconds(90)
        /// How long converged must hold before the end-of-run checks (the fast bounds' reschedule grace).
        public var settle: Duration = .seconds(6)

        public init(seed: UInt64, duration: Duration) {
            self.seed = seed
            self.duration = duration
        }

        /// `FLOTILLA_CHAOS_SEED` (else random) and `FLOTILLA_CHAOS_SECONDS` (else `defaultSeconds`).
        public static func fromEnvironment(defaultSeconds: Int = 120) throws -> Options {
            let text = ProcessInfo.processInfo.environment["FLOTILLA_CHAOS_SECONDS"] ?? ""
            guard let seconds = text.isEmpty ? defaultSeconds : Int(text), seconds > 0 else {
                throw ProcessFailure("FLOTILLA_CHAOS_SECONDS is not a positive number of seconds: \(text)")
            }
            return Options(seed: try ChaosRandom.seedFromEnvironment(), duration: .seconds(seconds))
        }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    /// The plan this run follows on `cluster`.
    public func plan(on cluster: FaultCluster) -> ChaosPlan {
        let namespaced = cluster.hosts.indices.filter { cluster.hosts[$0].namespace != nil }
        return ChaosPlan(
            random: ChaosRandom(seed: options.seed).stream("faults"), duration: options.duration, hosts: cluster.hosts.count,
            members: cluster.etcd.members.count, namespaced: namespaced)
    }

    /// Runs the chaos on `cluster` and returns its figures; ``ChaosReport/dump`` holds the fault schedule and the
    /// hosts' logs when the run found a violation.
    public func run(on cluster: FaultCluster) async throws -> ChaosReport {
        let plan = plan(on: cluster)
        print("chaos: seed \(options.seed) (FLOTILLA_CHAOS_SEED=\(options.seed) replays it), \(options.duration), planned faults:\n\(plan)")
        let ledger = ChaosLedger()
        let checker = InvariantChecker(cluster: cluster)
        let events = EventRevisionWatch(cluster: cluster, apiKey: cluster.apiKey)
        let start = ContinuousClock.now
        let end = start + options.duration
        let faults = ChaosFaults(cluster: cluster, ledger: ledger)

        var convergence: [String: Duration?] = [:]
        var finalViolations: [InvariantViolation] = []
        var ran: Duration = .zero
        var unsettled: [String] = []
        try await withThrowingTaskGroup(of: Void.self) { watchers in
            watchers.addTask { await checker.watch(every: .milliseconds(200)) }
            watchers.addTask { await events.run() }
            await withTaskGroup(of: Void.self) { work in
                for i in 0..<options.clients {
                    let random = ChaosRandom(seed: options.seed).stream("client-\(i)")
                    work.addTask { await clientLoop(i, random: random, cluster: cluster, ledger: ledger, until: end) }
                }
                work.addTask { await faults.follow(plan, until: end) }
            }
            ran = ContinuousClock.now - start
            await faults.healAll()
            let lastHeal = ContinuousClock.now
            // Converged means: every host is back in the cluster (alive), then every live instance is as desired.
            // A sample taken before a restarted host reconciled would call its stale records converged.
            let ids = Set(cluster.hosts.map(\.id))
            do {
                try await eventually("every host alive again", timeout: options.convergenceTimeout, every: .milliseconds(200)) {
                    (try? await checker.sample())?.alive.isSuperset(of: ids) ?? false
                }
            } catch {
                ledger.harnessError("\(error)")
            }
            convergence = try await checker.waitConverged(since: lastHeal, timeout: options.convergenceTimeout)
            // A live instance missing from the answer never converged: count it so.
            for instance in (try? await checker.sample())?.registry.values.filter(\.isLive) ?? [] where convergence[instance.id] == nil {
                convergence.updateValue(nil as Duration?, forKey: instance.id)
            }
            // Converged must hold: the end-of-run checks come one reschedule grace later.
            try await Task.sleep(for: options.settle)
            finalViolations = try await checker.finalCheck(
                acknowledgedCreates: ledger.acknowledgedCreates, acknowledgedDeletes: ledger.acknowledgedDeletes)
            if !finalViolations.isEmpty { unsettled = Self.unsettled(try? await checker.sample()) }
            watchers.cancelAll()
        }

        var violations = checker.duplicateViolations + events.violations() + finalViolations
        // An instance the end-of-run checks already report as not converged is not counted twice.
        let reported = Set(
            finalViolations.filter { $0.kind == "notConverged" }.compactMap { $0.detail.split(separator: ":").first.map(String.init) })
        for (id, time) in convergence.sorted(by: { $0.key < $1.key }) where time == nil && !reported.contains(id) {
            violations.append(
                InvariantViolation(kind: "convergence", detail: "\(id) not as desired \(options.convergenceTimeout) after the last heal"))
        }
        violations += ledger.harnessErrors.map { InvariantViolation(kind: "harness", detail: $0) }
        // A host process that crashed is a defect whatever the invariants say; its report is in the dump.
        for host in cluster.hosts {
            violations += FailureLogs.crashes(in: host.log).map { InvariantViolation(kind: "crash", detail: "\(host.id): \($0)") }
        }
        var report = ChaosReport(
            seed: options.seed, planned: options.duration, ran: ran, hosts: cluster.hosts.count, operations: ledger.operations,
            faults: ledger.faults, samplesTaken: checker.samplesTaken, eventsSeen: events.eventsSeen,
            acknowledgedCreates: ledger.acknowledgedCreates.count, acknowledgedDeletes: ledger.acknowledgedDeletes.count,
            uncertainDeletes: ledger.uncertainDeletes.count,
            violations: violations, convergence: convergence, unsettled: unsettled, dump: nil)
        if !report.passed { report.dump = cluster.dump() }
        return report
    }

    /// One line per live instance that is not as desired in `sample`, with the reason its record gives.
    private static func unsettled(_ sample: InvariantSample?) -> [String] {
        guard let sample else { return ["(no sample could be taken)"] }
        return sample.registry.values.filter { $0.isLive && !sample.converged($0.id) }.sorted { $0.id < $1.id }.map { i in
            "\(i.id) \(i.name): desired \(i.desired), state \(i.state) on \(i.workerId ?? "-"): \(i.stateDescription ?? "")"
        }
    }

    /// One client: until `end`, an operation through a random host every 100-600 ms, each with a deadline.
    private func clientLoop(
        _ index: Int, random: ChaosRandom, cluster: FaultCluster, ledger: ChaosLedger, until end: ContinuousClock.Instant
    )
        async
    {
        var random = random
        var mine: [String] = []
        var created = 0
        while ContinuousClock.now < end, !Task.isCancelled {
            try? await Task.sleep(for: random.duration(in: .milliseconds(100)...(.milliseconds(600))))
            // Every draw is made whatever happens next, so that the sequence of draws depends on the seed alone.
            let hostIndex = random.int(in: 0...(cluster.hosts.count - 1))
            let host = cluster.hosts[hostIndex]
            let kind = random.pick([("create", 4), ("delete", 2), ("stop", 1), ("start", 1), ("restart", 1), ("pause", 1), ("resume", 1)])
            let pick = random.int(in: 0...Int(Int32.max))
            let force = random.chance(0.5)
            let target = mine.isEmpty ? nil : mine[pick % mine.count]
            if kind == "create" {
                guard ledger.live < options.maxLive else {
                    ledger.record(kind, .skipped)
                    continue
                }
                created += 1
                let request = Compute.CreateRequest(
                    name: "chaos-c\(index)-\(created)", backend: "sim", config: .init(image: "busybox"),
                    resources: .init(cpu: .init(cores: 0.25), memory: .init(limit: 64 << 20)))
                // As a careful client does: a create without an answer is sent again with the same Idempotency-Key
                // (to the next hosts in turn, no extra draw), so its outcome becomes known and a create that did
                // commit is not left behind unacknowledged; the key also must never make two instances.
                let key = "chaos-\(options.seed)-c\(index)-\(created)"
                var outcome: Result<String, FlotillaClientError> = .failure(.invalidRequest("not sent"))
                for attempt in 0...Self.createRetries {
                    let via = attempt == 0 ? host : cluster.hosts[(hostIndex + attempt) % cluster.hosts.count]
                    if attempt > 0 { try? await Task.sleep(for: .milliseconds(500)) }
                    outcome = await call(via) {
                        try await $0.createInstance(request, wait: false, idempotencyKey: key).instance.id
                    }
                    if Self.outcome(outcome) != .failed { break }
                }
                if case .success(let id) = outcome {
                    ledger.created(id)
                    mine.append(id)
                }
                ledger.record(kind, Self.outcome(outcome))
                continue
            }
            guard let id = target else {
                ledger.record(kind, .skipped)
                continue
            }
            let outcome = await call(host) { client -> String in
                switch kind {
                case "delete": _ = try await client.deleteInstance(id: id, force: force, wait: false)
                case "stop": _ = try await client.stop(id: id, force: force, wait: false)
                case "start": _ = try await client.start(id: id, wait: false)
                case "restart": _ = try await client.restart(id: id, hard: force, wait: false)
                case "pause": _ = try await client.pause(id: id, wait: false)
                default: _ = try await client.unpause(id: id, wait: false)
                }
                return id
            }
            if kind == "delete" {
                switch Self.outcome(outcome) {
                case .acknowledged: ledger.deleted(id)
                case .failed: ledger.maybeDeleted(id)
                case .refused, .skipped: break
                }
                // Acknowledged, or of unknown outcome: this client leaves it alone from now on.
                if Self.outcome(outcome) != .refused { mine.removeAll { $0 == id } }
            }
            ledger.record(kind, Self.outcome(outcome))
        }
    }

    /// How many times a create without an answer is sent again with its Idempotency-Key.
    static let createRetries = 3

    /// One call through `host`, with the run's deadline.
    private func call(
        _ host: FaultHost, _ body: (FlotillaClient) async throws -> String
    ) async -> Result<String, FlotillaClientError> {
        do {
            return .success(try await host.withClient(timeout: options.callTimeout, body))
        } catch let error as FlotillaClientError {
            return .failure(error)
        } catch {
            return .failure(.invalidRequest("\(error)"))
        }
    }

    /// 2xx acknowledged; 4xx refused; anything else failed (the client cannot tell whether it happened).
    private static func outcome(_ result: Result<String, FlotillaClientError>) -> ChaosLedger.Outcome {
        switch result {
        case .success: return .acknowledged
        case .failure(.api(let status, _, _, _)) where (400..<500).contains(status): return .refused
        case .failure: return .failed
        }
    }
}
