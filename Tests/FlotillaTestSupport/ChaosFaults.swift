import FlotillaAPI
import FlotillaClient
import Foundation

/// The fault loop of a ``ChaosRun``: injects each episode of a ``ChaosPlan`` on a ``FaultCluster``, heals each
/// fault when its time is up, and at the end heals whatever is left. Every injection and heal is recorded in the
/// cluster's ``FaultCluster/schedule``; the faults injected are counted in the ``ChaosLedger`` by kind.
struct ChaosFaults: Sendable {
    let cluster: FaultCluster
    let ledger: ChaosLedger
    /// The etcd members killed and not started again yet.
    private let killedMembers = LockedBox<Set<Int>>([])

    init(cluster: FaultCluster, ledger: ChaosLedger) {
        self.cluster = cluster
        self.ledger = ledger
    }

    /// Follows `plan` until `end` (an episode that would start later is left out), each episode's faults at once.
    func follow(_ plan: ChaosPlan, until end: ContinuousClock.Instant) async {
        for episode in plan.episodes {
            guard ContinuousClock.now + episode.pause < end, !Task.isCancelled else { return }
            try? await Task.sleep(for: episode.pause)
            await withTaskGroup(of: Void.self) { group in
                for fault in episode.faults {
                    group.addTask {
                        let healed = await inject(fault)
                        try? await Task.sleep(for: fault.lasts)
                        await healed()
                    }
                }
            }
        }
    }

    /// Injects `fault`; returns what heals it.
    private func inject(_ fault: ChaosPlan.Fault) async -> @Sendable () async -> Void {
        ledger.injected(fault.kind.rawValue)
        let host = cluster.hosts[fault.target % cluster.hosts.count]
        switch fault.kind {
        case .storeCut: return store(host, .cut)
        case .storeBlackhole: return store(host, .blackhole)
        case .storeDelay: return store(host, .delay(.milliseconds(fault.parameter)))
        case .storeDropAfter: return store(host, .dropAfter(bytes: fault.parameter))
        case .peersCut:
            host.setPeers(.cut)
            return { host.setPeers(.pass) }
        case .hostKill:
            await host.kill9()
            return { await restart(host) }
        case .hostPause:
            host.pause()
            return { host.resume() }
        case .leaderPause:
            let leader = await self.leader() ?? host
            leader.pause()
            return { leader.resume() }
        case .etcdKill:
            let member = fault.target % cluster.etcd.members.count
            killedMembers.withLock { _ = $0.insert(member) }
            await cluster.etcdKill(member: member)
            return { await restartMember(member) }
        case .linkDown:
            do {
                try await host.setLink(up: false)
            } catch {
                ledger.harnessError("link down on \(host.id): \(error)")
            }
            return {
                do { try await host.setLink(up: true) } catch { ledger.harnessError("link up on \(host.id): \(error)") }
            }
        }
    }

    /// Heals everything: every proxy passes, every namespace link is up, every paused host resumes, every killed
    /// host and etcd member runs again.
    func healAll() async {
        for member in killedMembers.value.sorted() { await restartMember(member) }
        for host in cluster.hosts {
            host.setStore(.pass)
            host.setPeers(.pass)
            if host.namespace != nil { try? await host.setLink(up: true) }
            if host.isPaused { host.resume() }
            if !host.isRunning { await restart(host) }
        }
    }

    private func store(_ host: FaultHost, _ mode: FaultProxy.Mode) -> @Sendable () async -> Void {
        host.setStore(mode)
        return { host.setStore(.pass) }
    }

    /// Starts a killed host again; tries three times (a port taken meanwhile), then records a harness error.
    private func restart(_ host: FaultHost) async {
        var last = ""
        for attempt in 1...3 {
            if host.isRunning { return }
            do {
                try await host.restart()
                return
            } catch {
                last = "\(error)"
                try? await Task.sleep(for: .seconds(attempt))
            }
        }
        ledger.harnessError("\(host.id) did not start again: \(last)")
    }

    /// Starts killed etcd member `member` again; tries three times, then records a harness error.
    private func restartMember(_ member: Int) async {
        var last = ""
        for attempt in 1...3 {
            guard killedMembers.value.contains(member) else { return }
            do {
                try await cluster.etcdRestart(member: member)
                killedMembers.withLock { _ = $0.remove(member) }
                return
            } catch {
                last = "\(error)"
                try? await Task.sleep(for: .seconds(attempt))
            }
        }
        ledger.harnessError("etcd member \(member) did not start again: \(last)")
    }

    /// The host that says it leads on `/health` (a short deadline each), or nil.
    private func leader() async -> FaultHost? {
        for host in cluster.hosts where host.isRunning && !host.isPaused {
            let role = try? await FlotillaClient.withClient(baseURL: host.url, apiKey: nil, timeout: .seconds(2)) {
                try await $0.health().role
            }
            if role == "leader" { return host }
        }
        return nil
    }
}
