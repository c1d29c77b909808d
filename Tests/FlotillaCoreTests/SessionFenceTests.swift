import FlotillaCore
import Testing

/// A host's standing with the store, on its monotonic clock (docs/decisions/0016-self-fencing.md).
@Suite struct SessionFenceTests {
    static let bounds = FenceBounds.default  // lease 3 s, fence after 5 s
    static let t0 = ContinuousClock.now

    static func at(_ seconds: Double) -> ContinuousClock.Instant { t0 + .milliseconds(Int64(seconds * 1000)) }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        /// Renewals (sent at, revision written) before the look.
        var renewals: [(Double, Revision?)]
        var lookAt: Double
        var phase: SessionFence.Phase
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "just registered: connected", renewals: [], lookAt: 0.1, phase: .connected),
        Row(name: "renewed 1 s ago: connected", renewals: [(4, nil)], lookAt: 5, phase: .connected),
        Row(name: "silent for the lease TTL: unsure, holds still", renewals: [(1, nil)], lookAt: 4, phase: .unsure),
        Row(name: "silent just under the fence bound: unsure", renewals: [(1, nil)], lookAt: 5.99, phase: .unsure),
        Row(name: "silent for the fence bound: fenced", renewals: [(1, nil)], lookAt: 6, phase: .fenced),
        Row(name: "woke from SIGSTOP a minute later: fenced at the first look", renewals: [(1, nil)], lookAt: 61, phase: .fenced),
        Row(
            name: "a late answer to an old renewal does not move the clock back", renewals: [(4, nil), (2, nil)], lookAt: 8.5,
            phase: .unsure),
    ]

    @Test("the phase follows the time since the last renewal was sent", arguments: rows)
    func phase(_ row: Row) {
        var fence = SessionFence(registeredAt: Self.t0)
        for (sent, revision) in row.renewals { fence.renewed(sentAt: Self.at(sent), revision: revision) }
        #expect(fence.phase(now: Self.at(row.lookAt), bounds: Self.bounds) == row.phase)
    }

    @Test("once up, the fence stays up through renewals until the registry holds a write made after one")
    func rejoin() {
        var fence = SessionFence(registeredAt: Self.t0)
        let r1 = fence.phase(now: Self.at(6), bounds: Self.bounds)
        #expect(r1 == .fenced)
        // The store answers again: a renewal alone does not lift the fence.
        fence.renewed(sentAt: Self.at(20), revision: nil)
        let r2 = fence.phase(now: Self.at(20.1), bounds: Self.bounds)
        #expect(r2 == .fenced)
        let r3 = fence.rejoin(registryRevision: 1_000, now: Self.at(20.1), bounds: Self.bounds)
        #expect(!r3)
        // A heartbeat written at revision 500: the registry at 499 is not current yet.
        fence.renewed(sentAt: Self.at(20.2), revision: 500)
        let r4 = fence.rejoin(registryRevision: 499, now: Self.at(20.3), bounds: Self.bounds)
        #expect(!r4)
        let r5 = fence.phase(now: Self.at(20.3), bounds: Self.bounds)
        #expect(r5 == .fenced)
        // Caught up, but the store went silent again for a lease TTL meanwhile: still fenced.
        let r6 = fence.rejoin(registryRevision: 500, now: Self.at(23.5), bounds: Self.bounds)
        #expect(!r6)
        fence.renewed(sentAt: Self.at(23.6), revision: 510)
        let r7 = fence.rejoin(registryRevision: 500, now: Self.at(23.7), bounds: Self.bounds)
        #expect(r7)
        let r8 = fence.phase(now: Self.at(23.8), bounds: Self.bounds)
        #expect(r8 == .connected)
        #expect(!fence.isFenced)
    }

    @Test("a leader's lease holds on its clock for its TTL less the clock-rate error, and not after a pause")
    func leaseHold() {
        var hold = LeaseHold(ttl: .seconds(3), grantedAt: Self.t0)
        #expect(hold.holds(at: Self.at(2.8)))
        #expect(!hold.holds(at: Self.at(2.9)), "3 s less 5 % is 2.85 s")
        hold.renewed(sentAt: Self.at(2))
        #expect(hold.holds(at: Self.at(4.8)))
        #expect(!hold.holds(at: Self.at(30)), "stopped (SIGSTOP) for half a minute")
    }
}
