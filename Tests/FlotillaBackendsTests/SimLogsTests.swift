import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// The sim's log: its own record of the states an instance entered (ADR 0024).
@Suite struct SimLogsTests {
    static func read(_ sim: SimBackend, _ id: String, tail: Int, follow: Bool = false) async throws -> String {
        var out: [UInt8] = []
        try await sim.logs(id: id, tail: tail, follow: follow) { out += $0 }
        return String(decoding: out, as: UTF8.self)
    }

    @Test("the record lists each state entered; tail keeps the last lines")
    func record() async throws {
        let sim = SimBackend()
        try await sim.create(SimFixtures.request(id: "i-1"))
        try await sim.start(id: "i-1")
        try await sim.stop(id: "i-1", force: true, timeout: .zero)
        let name = SimFixtures.request(id: "i-1").name
        #expect(try await Self.read(sim, "i-1", tail: 10) == "\(name): created\n\(name): running\n\(name): stopped\n")
        #expect(try await Self.read(sim, "i-1", tail: 1) == "\(name): stopped\n")
        #expect(try await Self.read(sim, "i-1", tail: 0) == "")
    }

    @Test("an unknown instance is notFound before anything is written")
    func unknown() async throws {
        await #expect(throws: BackendError.notFound("nope")) { try await Self.read(SimBackend(), "nope", tail: 10) }
    }

    @Test("following a running instance: the next states come through, and the read ends when it stops")
    func follow() async throws {
        let sim = SimBackend()
        try await sim.create(SimFixtures.request(id: "i-1"))
        try await sim.start(id: "i-1")
        let name = SimFixtures.request(id: "i-1").name
        let seen = LockedBox("")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await sim.logs(id: "i-1", tail: 1, follow: true) { bytes in
                    seen.withLock { $0 += String(decoding: bytes, as: UTF8.self) }
                }
            }
            try await eventually("the tail") { seen.value == "\(name): running\n" }
            try await sim.pause(id: "i-1")
            try await eventually("the pause, as it happens") { seen.value.hasSuffix("\(name): paused\n") }
            try await sim.resume(id: "i-1")
            try await sim.stop(id: "i-1", force: true, timeout: .zero)
            try await group.next()  // Ends by itself once the instance stopped.
        }
        #expect(seen.value == "\(name): running\n\(name): paused\n\(name): running\n\(name): stopped\n")
    }

    @Test("following a stopped instance ends after its tail")
    func followStopped() async throws {
        let sim = SimBackend()
        try await sim.create(SimFixtures.request(id: "i-1"))
        #expect(try await Self.read(sim, "i-1", tail: 5, follow: true).hasSuffix(": created\n"))
    }
}
