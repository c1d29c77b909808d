import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// What the PostgreSQL store adds to the contract: notifications that may be lost, hosts that share one database,
/// writers grouped into one commit (ADR 0030).
@Suite("PostgreSQL store", .postgresAvailable, .sharedPostgres, .timeLimit(.minutes(2)))
struct PostgresStoreTests {
    /// Two hosts' stores on one new database, closed after `body` whatever happens.
    func withTwoStores(pollInterval: Duration, _ body: (PostgresClusterStore, PostgresClusterStore) async throws -> Void) async throws {
        let server = try PostgresServer.shared()
        let database = try await server.createDatabase()
        let watcher = try await server.store(database, pollInterval: pollInterval)
        let writer: PostgresClusterStore
        do {
            writer = try await server.store(database)
        } catch {
            await watcher.close()
            throw error
        }
        do {
            try await body(watcher, writer)
        } catch {
            await watcher.close()
            await writer.close()
            throw error
        }
        await watcher.close()
        await writer.close()
    }

    @Test("the notification connection killed while another host writes: the watch still gets every event, in order")
    func droppedNotificationLosesNoEvent() async throws {
        // A poll far beyond the test's deadlines: only the notifications, and the listener's catch-up when it
        // reconnects, can wake the watcher in time.
        try await withTwoStores(pollInterval: .seconds(600)) { watcher, writer in
            try await StoreContract.waitUntil("the watcher listens") { watcher.notificationBackendPID != nil }
            let killed = try #require(watcher.notificationBackendPID)
            let start = try await writer.put("drop/k0", value: Data("0".utf8))
            let stream = watcher.watch(prefix: "drop/", fromRevision: start)
            let first = try await StoreContract.collect(stream, "the first event, through a notification") { $0.count >= 1 }
            #expect(first.map(\.kv.key) == ["drop/k0"])

            let server = try PostgresServer.shared()
            let answer = try await server.sql("SELECT pg_terminate_backend(\(killed))")
            #expect(answer == "t", "the listening connection was killed")
            for i in 1...5 { try await writer.put("drop/k\(i)", value: Data(String(i).utf8)) }
            try await writer.delete("drop/k0")

            let rest = try await StoreContract.collect(stream, seconds: 30, "the events written while it was down") { $0.count >= 6 }
            #expect(rest.map { "\($0.kind) \($0.kv.key)" } == (1...5).map { "put drop/k\($0)" } + ["delete drop/k0"])
            #expect(zip(rest, rest.dropFirst()).allSatisfy { $0.revision + 1 == $1.revision }, "consecutive revisions, no gap")
            try await StoreContract.waitUntil("the listener reconnected") {
                watcher.notificationBackendPID.map { $0 != killed } == true
            }
        }
    }

    @Test("64 concurrent writers through one store: 64 revisions, one each, consecutive, every write readable")
    func groupedWritersKeepOneRevisionEach() async throws {
        try await withTwoStores(pollInterval: .seconds(1)) { store, other in
            let before = try await other.status().revision
            let revisions = try await withThrowingTaskGroup(of: Revision.self) { group in
                for i in 0..<64 { group.addTask { try await store.put("group/\(i)", value: Data(String(i).utf8)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(revisions).count == 64)
            #expect(revisions.sorted() == Array((before + 1)...(before + 64)))
            let read = try await other.range(prefix: "group/")
            #expect(read.kvs.count == 64)
            #expect(read.kvs.allSatisfy { String(decoding: $0.value, as: UTF8.self) == String($0.key.dropFirst("group/".count)) })
        }
    }

    @Test("a lease granted through one host and left to expire is reaped on the database's clock; the other host's keep-alive fails")
    func leaseExpiresForEveryHost() async throws {
        try await withTwoStores(pollInterval: .seconds(1)) { first, second in
            let lease = try await first.grantLease(ttl: .seconds(1))
            try await first.put("lease/held", value: Data("x".utf8), lease: lease)
            #expect(try await second.keepAlive(lease) == .seconds(1), "the other host renews it")
            try await StoreContract.waitUntil(seconds: 15, "the key's lease expired") { try await second.get("lease/held") == nil }
            await #expect(throws: StoreError.leaseNotFound(lease)) { try await second.keepAlive(lease) }
        }
    }
}
