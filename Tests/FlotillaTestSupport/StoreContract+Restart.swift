import FlotillaCore
import Foundation
import Testing

extension StoreContract {
    /// Keys, revisions, versions and leases survive a restart; the revision counter continues.
    public static func dataSurvivesRestart(_ h: any StoreHarness) async throws {
        guard h.supportsRestart else { return }
        let first = try await h.makeStore()
        let p = uniquePrefix("restart")
        try await first.put(p + "a", value: bytes("1"))
        try await first.put(p + "a", value: bytes("2"))
        try await first.put(p + "gone", value: bytes("x"))
        try await first.delete(p + "gone")
        let lease = try await first.grantLease(ttl: .seconds(60))
        try await first.put(p + "leased", value: bytes("l"), lease: lease)
        let before = try await first.range(prefix: p)
        let revisionBefore = try await first.status().revision

        let second = try await h.restart()
        let after = try await second.range(prefix: p)
        #expect(after.kvs == before.kvs)
        #expect(try await second.get(p + "gone") == nil)
        #expect(try await second.status().revision >= revisionBefore)
        #expect(try await second.keepAlive(lease) > .zero, "the lease survived")
        let next = try await second.put(p + "b", value: bytes("3"))
        #expect(next > revisionBefore)
        let newLease = try await second.grantLease(ttl: .seconds(60))
        #expect(newLease != lease)
        try await second.revokeLease(lease)
        try await second.revokeLease(newLease)
        #expect(try await second.get(p + "leased") == nil)
    }

    /// A watcher that resumes after a restart from the revision after the last one it saw gets exactly the
    /// events it missed.
    public static func watchResumedAfterRestartMissesNoEvent(_ h: any StoreHarness) async throws {
        guard h.supportsRestart else { return }
        let first = try await h.makeStore()
        let p = uniquePrefix("resume")
        let start = try await first.put(p + "k0", value: bytes("0"))
        for i in 1..<5 { try await first.put(p + "k\(i)", value: bytes(String(i))) }
        let seen = try await collect(first.watch(prefix: p, fromRevision: start), "the first three events") { $0.count >= 3 }
        #expect(seen.count == 3)
        let lastSeen = try #require(seen.last?.revision)

        let second = try await h.restart()
        try await second.put(p + "k5", value: bytes("5"))
        try await second.delete(p + "k0")
        try await second.put(p + "k1", value: bytes("one"))
        try await second.put(p + "sentinel", value: bytes("s"))
        let (missed, _) = try await collect(second.watch(prefix: p, fromRevision: lastSeen + 1), untilKey: p + "sentinel")
        #expect(summary(missed) == ["put \(p)k3=3", "put \(p)k4=4", "put \(p)k5=5", "delete \(p)k0", "put \(p)k1=one"])
        #expect(missed.first.map { $0.revision > lastSeen } == true)
    }
}
