import FlotillaCore
import Foundation
import Testing

extension StoreContract {
    /// A lease that is not kept alive expires by itself: its keys vanish, with delete events in one revision.
    public static func leaseExpiryDeletesKeysAndEmitsDeleteEvents(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("expiry")
        // 3 s, not 1: the four calls below must land before it expires, even on a loaded machine.
        let lease = try await store.grantLease(ttl: .seconds(3))
        let r1 = try await store.put(p + "a", value: bytes("1"), lease: lease)
        try await store.put(p + "b", value: bytes("2"), lease: lease)
        try await store.put(p + "free", value: bytes("3"))
        let a = try await store.get(p + "a")
        #expect(a?.lease == lease, "read back: \(String(describing: a)), lease \(lease)")

        let events = try await collect(store.watch(prefix: p, fromRevision: r1), seconds: 15, "lease expiry") { events in
            events.filter { $0.kind == .delete }.count >= 2
        }
        let deletes = events.filter { $0.kind == .delete }
        #expect(Set(deletes.map(\.kv.key)) == [p + "a", p + "b"])
        #expect(Set(deletes.map(\.revision)).count == 1, "one revision for the whole lease")
        #expect(try await store.get(p + "a") == nil)
        #expect(try await store.get(p + "b") == nil)
        #expect(text(try await store.get(p + "free")?.value) == "3")
    }

    /// Keep-alives hold a lease (and its keys) well past its TTL.
    public static func keepAliveExtendsLease(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("keepalive")
        // A TTL well above the keep-alive period, so a loaded machine's stalls do not expire it.
        let lease = try await store.grantLease(ttl: .seconds(4))
        try await store.put(p + "k", value: bytes("v"), lease: lease)
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .seconds(5))
        while clock.now < end {
            let ttl = try await store.keepAlive(lease)
            #expect(ttl > .zero)
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try await store.get(p + "k")?.lease == lease, "the key outlived the TTL thanks to keep-alives")
        try await store.revokeLease(lease)
    }

    /// Revoking deletes every attached key at once, in one revision; revoking an unknown lease is fine.
    public static func revokeDeletesKeys(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("revoke")
        let lease = try await store.grantLease(ttl: .seconds(60))
        let other = try await store.grantLease(ttl: .seconds(60))
        #expect(lease != other)
        let r1 = try await store.put(p + "a", value: bytes("1"), lease: lease)
        try await store.put(p + "b", value: bytes("2"), lease: lease)
        try await store.put(p + "c", value: bytes("3"), lease: other)
        try await store.revokeLease(lease)
        #expect(try await store.get(p + "a") == nil)
        #expect(try await store.get(p + "b") == nil)
        #expect(try await store.get(p + "c") != nil)
        try await store.revokeLease(lease)
        await #expect(throws: StoreError.leaseNotFound(lease)) {
            try await store.put(p + "d", value: bytes("4"), lease: lease)
        }

        try await store.put(p + "sentinel", value: bytes("s"))
        let (events, _) = try await collect(store.watch(prefix: p, fromRevision: r1), untilKey: p + "sentinel")
        let deletes = events.filter { $0.kind == .delete }
        #expect(Set(deletes.map(\.kv.key)) == [p + "a", p + "b"])
        #expect(Set(deletes.map(\.revision)).count == 1)
        try await store.revokeLease(other)
    }

    /// Once a lease has expired, keep-alives and puts with it fail with `leaseNotFound`; so do they for a
    /// lease that never existed.
    public static func keepAliveOfExpiredLeaseFails(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("expired")
        let lease = try await store.grantLease(ttl: .seconds(2))
        try await store.put(p + "k", value: bytes("v"), lease: lease)
        try await waitUntil(seconds: 15, "the lease's key vanishes") { try await store.get(p + "k") == nil }
        await #expect(throws: StoreError.leaseNotFound(lease)) { try await store.keepAlive(lease) }
        await #expect(throws: StoreError.leaseNotFound(lease)) {
            try await store.put(p + "again", value: bytes("v"), lease: lease)
        }
        #expect(try await store.get(p + "again") == nil)
        let unknown = LeaseID(Int64.max - 7)
        await #expect(throws: StoreError.leaseNotFound(unknown)) { try await store.keepAlive(unknown) }
    }
}
