import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// One guest moved live back and forth between two kvm backends, many times (docs/decisions/0027-live-migration.md):
/// each move must continue the guest's count on the other side, never boot it again. A move that failed once in
/// several (the destination's QEMU reading a cut stream: "load of migration failed: Input/output error") shows here.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUMigrationRoundTripTests {
    static let moves = 6

    @Test func aGuestMovedBackAndForthSixTimesCountsOnEveryTimeAndRunsOnItsNewHost() async throws {
        try await QEMUMigrationTests.withTwoBackends { a, b, guest, _ in
            let id = QEMUFixtures.newId()
            let request = QEMUFixtures.request(id: id, guest: guest)
            try await a.create(request)
            try await a.start(id: id)
            // Generous: a TCG boot takes seconds, more on a busy machine.
            try await eventually("the guest counts", timeout: .seconds(180), every: .milliseconds(500)) {
                QEMUMigrationTests.ticks(try await a.console(id: id, lines: 400)).contains(2)
            }
            var here = a
            var there = b
            for move in 1...Self.moves {
                let incoming = try await there.prepareIncoming(request, listenHost: "127.0.0.1", sharedStorage: nil)
                _ = try await here.migrateOut(id: id, to: incoming, timeout: .seconds(240))
                try await there.completeIncoming(id: id, timeout: .seconds(60))
                #expect(try await there.inspect(id: id).state == .running, "move \(move)")
                #expect(try await here.inspect(id: id).state == .paused, "move \(move): the source waits paused")
                // The source's guest is paused: its console holds the count up to the switch-over.
                let endedAt = try #require(QEMUMigrationTests.ticks(try await here.console(id: id, lines: 400)).last)
                try await eventually("move \(move): the guest counts on", timeout: .seconds(60), every: .milliseconds(500)) {
                    (QEMUMigrationTests.ticks(try await there.console(id: id, lines: 400)).last ?? -1) >= endedAt + 2
                }
                let console = try await there.console(id: id, lines: 400)
                #expect(!console.contains(GuestImageFixture.marker), "move \(move): booted again: \(console)")
                let ticks = QEMUMigrationTests.ticks(console)
                let first = try #require(ticks.first)
                #expect(first >= endedAt - 1 && first <= endedAt + 2, "move \(move): the source ended at \(endedAt): \(ticks)")
                #expect(ticks == Array(first..<(first + ticks.count)), "move \(move): one count, no restart: \(ticks)")
                // What the cluster does after a move: the ended source copy goes, so the guest can come back.
                try await here.delete(id: id, force: true)
                swap(&here, &there)
            }
        }
    }
}
