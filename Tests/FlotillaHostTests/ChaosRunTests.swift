import FlotillaTestSupport
import Foundation
import Testing

/// Issue 13, deliver 3: the randomized chaos run on three real hosts and a real 3-member etcd (docs/reliability.md).
/// `FLOTILLA_CHAOS_SECONDS` sets its length (120 s by default), `FLOTILLA_CHAOS_SEED` replays a run;
/// `benchmarks/chaos-soak.sh` runs it for 30 minutes.
@Suite("Chaos run", .serialized)
struct ChaosRunTests {
    @Test("a seed draws the same faults and client operations every time; another seed draws others")
    func seededPlan() {
        let a = ChaosPlan(random: ChaosRandom(seed: 42).stream("faults"), duration: .seconds(600), hosts: 3, members: 3)
        let b = ChaosPlan(random: ChaosRandom(seed: 42).stream("faults"), duration: .seconds(600), hosts: 3, members: 3)
        let c = ChaosPlan(random: ChaosRandom(seed: 43).stream("faults"), duration: .seconds(600), hosts: 3, members: 3)
        #expect(a == b)
        #expect(a != c)
        #expect(a.episodes.count > 10, "\(a)")
        // Every kind comes up in ten minutes, no fault lasts outside 2-15 s, and no episode takes two processes
        // or two etcd members down at once.
        let kinds = Set(a.episodes.flatMap { $0.faults.map(\.kind) })
        #expect(kinds == Set(ChaosPlan.Kind.allCases).subtracting([.linkDown]), "\(kinds)")
        for episode in a.episodes {
            #expect(episode.faults.allSatisfy { $0.lasts >= .seconds(2) && $0.lasts <= .seconds(15) })
            // A frozen host cannot fence: it is woken before its instances could be replaced (ADR 0016).
            #expect(episode.faults.filter { [.hostPause, .leaderPause].contains($0.kind) }.allSatisfy { $0.lasts <= .seconds(7) })
            #expect(episode.faults.filter { [.hostKill, .hostPause, .leaderPause].contains($0.kind) }.count <= 1)
            #expect(episode.faults.filter { $0.kind == .etcdKill }.count <= 1)
        }
        var x = ChaosRandom(seed: 7).stream("client-0")
        var y = ChaosRandom(seed: 7).stream("client-0")
        var z = ChaosRandom(seed: 7).stream("client-1")
        let first = (0..<100).map { _ in x.next() }
        #expect(first == (0..<100).map { _ in y.next() })
        #expect(first != (0..<100).map { _ in z.next() })
    }

    @Test(
        "clients create, act and delete through random hosts while faults come: never two running copies, nothing acknowledged lost, every instance converges",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func chaos() async throws {
        let options = try ChaosRun.Options.fromEnvironment(defaultSeconds: 120)
        // Where the machine allows it, h3 runs in a network namespace of its own, so the plan includes link faults
        // (its veth pair going down: store and peer traffic cut at once, as a real partition).
        let namespaced: Set<String> = NetworkNamespace.available ? ["h3"] : []
        let report = try await FaultCluster.with(hosts: 3, namespaced: namespaced) { cluster in
            try await ChaosRun(options).run(on: cluster)
        }
        print(report)
        #expect(report.operations.values.reduce(0) { $0 + $1.acknowledged } > 0, "no operation was acknowledged: seed \(report.seed)")
        #expect(report.faults.values.reduce(0, +) > 0, "no fault was injected: seed \(report.seed)")
        #expect(report.passed, "seed \(report.seed): \(report.violations.count) violations\n\(report)\n\(report.dump ?? "")")
    }
}
