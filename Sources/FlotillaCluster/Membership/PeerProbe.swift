import FlotillaCore
import Logging
import ServiceLifecycle
import Synchronization

/// This worker's part in peer probes (docs/decisions/0035-peer-probes.md): it answers pings for itself, pings for
/// others that ask, and watches the workers after it on the ring (``ProbeWatch`` decides, this service executes). A
/// watched worker that neither it nor the helpers could reach has its heartbeat deleted (compared on its revision),
/// which every host's registry sees at once; a live worker writes its heartbeat again (``Membership``), a dead one's
/// instances are rescheduled after the leader's grace, as for an expired lease. It owns `transport` once running.
public final class PeerProbe: Service, Sendable {
    private struct State {
        var watch: ProbeWatch
        var nextNonce: UInt64
        /// Pings (direct or through a helper) awaiting an answer: nonce → the worker pinged.
        var pending: [UInt64: (target: String, sent: ContinuousClock.Instant)] = [:]
        /// Pings this worker sends for others: its nonce → theirs and where to relay the answer.
        var relays: [UInt64: (nonce: UInt64, to: String, sent: ContinuousClock.Instant)] = [:]

        /// The next nonce of this worker's pings.
        mutating func mint() -> UInt64 {
            nextNonce &+= 1
            return nextNonce
        }
    }

    private let workerId: String
    private let store: any ClusterStore
    private let registry: RegistryCache
    private let ring: ProbeRingSource
    private let transport: any ProbeTransport
    private let key: ProbeKey
    private let state: Mutex<State>
    private let logger: Logger

    public init(
        workerId: String, store: any ClusterStore, registry: RegistryCache, ring: ProbeRingSource, transport: any ProbeTransport,
        key: ProbeKey, plan: PeerProbePlan = PeerProbePlan(), logger: Logger = Logger(label: "flotilla.peer-probe")
    ) {
        self.workerId = workerId
        self.store = store
        self.registry = registry
        self.ring = ring
        self.transport = transport
        self.key = key
        var generator = SystemRandomNumberGenerator()
        self.state = Mutex(State(watch: ProbeWatch(plan: plan), nextNonce: generator.next()))
        self.logger = logger
    }

    /// Where peers reach this worker (for its heartbeat).
    public var address: String { transport.address }

    /// How often ``tick()`` is due.
    public var tickInterval: Duration { state.withLock { $0.watch.plan.tick } }

    /// Answers and watches, ticking on its own, until cancelled or shut down.
    public func run() async throws {
        try await serve(ticking: true)
    }

    /// Answers probes until cancelled, and watches only when someone else calls ``tick()`` (the fleet simulator ticks
    /// thousands of workers from one loop instead of a timer each).
    public func runWithoutTicking() async throws {
        try await serve(ticking: false)
    }

    private func serve(ticking: Bool) async throws {
        transport.receive { [self] bytes, from in handle(bytes, from: from) }
        do {
            try await runUntilShutdown {
                let interval = self.tickInterval
                while !Task.isCancelled {
                    try await Task.sleep(for: ticking ? interval : .seconds(3600))
                    guard ticking else { continue }
                    for target in self.tick() { await self.markOffline(target) }
                }
            }
        } catch {
            await transport.close()
            throw error
        }
        await transport.close()
    }

    /// One tick: who to watch now, and what ``ProbeWatch`` says to do; returns the watched workers found unreachable,
    /// whose heartbeats ``markOffline(_:)`` deletes.
    public func tick() -> [String] {
        var unreachable: [String] = []
        let current = ring.current()
        let now = ContinuousClock.now
        let (actions, helpers) = state.withLock { state in
            state.watch.watch(current.ring.watched(by: workerId, count: state.watch.plan.watchers), now: now)
            // In a fleet of two, the one peer is also the only one who could be heard: silence is all there is.
            state.watch.othersToHear = current.ring.members.count > 2
            state.pending = state.pending.filter { $0.value.sent.duration(to: now) < .seconds(10) }
            state.relays = state.relays.filter { $0.value.sent.duration(to: now) < .seconds(10) }
            return (state.watch.step(now: now), state.watch.plan.helpers)
        }
        for action in actions {
            switch action {
            case .ping(let target):
                guard let address = current.addresses[target] else { continue }
                let nonce = expect(target, now: now)
                transport.send(ProbeDatagram.ping(nonce: nonce, target: target).encoded(key: key), to: address)
            case .askHelpers(let target):
                guard let address = current.addresses[target] else { continue }
                var generator = SystemRandomNumberGenerator()
                for helper in current.ring.helpers(for: target, asker: workerId, count: helpers, using: &generator) {
                    guard let via = current.addresses[helper] else { continue }
                    let nonce = expect(target, now: now)
                    transport.send(ProbeDatagram.pingRequest(nonce: nonce, target: target, address: address).encoded(key: key), to: via)
                }
            case .markUnreachable(let target):
                unreachable.append(target)
            case .heardNobody:
                logger.warning(
                    "peer probes: this worker heard from nobody (no ping, request or answer) for as long as a suspect must be silent; it marks nobody unreachable until it hears from someone",
                    metadata: ["worker": "\(workerId)"])
            }
        }
        return unreachable
    }

    /// A new nonce for a ping whose answer would come from `target`.
    private func expect(_ target: String, now: ContinuousClock.Instant) -> UInt64 {
        state.withLock { state in
            let nonce = state.mint()
            state.pending[nonce] = (target, now)
            return nonce
        }
    }

    private func handle(_ bytes: [UInt8], from: String) {
        guard let datagram = ProbeDatagram.decode(bytes, key: key) else { return }
        let now = ContinuousClock.now
        switch datagram {
        case .ping(let nonce, let target):
            guard target == workerId else { return }
            // Every signed datagram, whoever sent it, shows that this worker can hear (``ProbeWatch/heardAnyone(at:)``).
            state.withLock { $0.watch.heardAnyone(at: now) }
            transport.send(ProbeDatagram.ack(nonce: nonce, from: workerId).encoded(key: key), to: from)
        case .pingRequest(let nonce, let target, let address):
            state.withLock { $0.watch.heardAnyone(at: now) }
            guard target != workerId else {
                transport.send(ProbeDatagram.ack(nonce: nonce, from: workerId).encoded(key: key), to: from)
                return
            }
            let ours = state.withLock { state in
                let ours = state.mint()
                state.relays[ours] = (nonce, from, now)
                return ours
            }
            transport.send(ProbeDatagram.ping(nonce: ours, target: target).encoded(key: key), to: address)
        case .ack(let nonce, let answering):
            let relay = state.withLock { state -> (nonce: UInt64, to: String)? in
                state.watch.heardAnyone(at: now)
                if let pending = state.pending[nonce], pending.target == answering {
                    state.pending[nonce] = nil
                    state.watch.heard(answering, at: now)
                    return nil
                }
                guard let relay = state.relays.removeValue(forKey: nonce) else { return nil }
                return (relay.nonce, relay.to)
            }
            if let relay {
                transport.send(ProbeDatagram.ack(nonce: relay.nonce, from: answering).encoded(key: key), to: relay.to)
            }
        }
    }

    /// Deletes `target`'s heartbeat, compared on the revision this host last saw (a heartbeat written since, by a
    /// worker that is alive after all, stays). The watcher whose deletion went through says so, once.
    public func markOffline(_ target: String) async {
        do {
            if try await registry.deleteHeartbeat(of: target, in: store) {
                logger.warning(
                    "worker unreachable by its peers: its heartbeat is deleted", metadata: ["worker": "\(target)", "by": "\(workerId)"])
            }
        } catch {
            logger.debug("could not mark an unreachable worker offline", metadata: ["worker": "\(target)", "error": "\(error)"])
        }
    }
}
