import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// `POST /api/v2/vms/{id}/migrate` with a target (`{"worker_id": ...}`) on one in-process host and fixture workers
/// on its store: the move lands on exactly the named worker, and every refusal leaves the instance as it was.
@Suite("Surface D: migrate to a named worker")
struct GlobalMigrateTests {
    static let createBody =
        #"{"name":"mover","backend":"sim","image":"busybox","resources":{"cpu_cores":0.5,"memory_mb":64}}"#

    /// What a refused request must not change: state, desired state, host and the record's revision.
    static func facts(_ api: HTTPProbe, _ id: String) async throws -> [String] {
        let r = try await api.get("/api/v2/vms/\(id)")
        let observed = r.json["observed"] as? [String: any Sendable]
        let host = r.json["host"] as? [String: any Sendable]
        let revisions = r.json["revisions"] as? [String: any Sendable]
        return [
            "\(observed?["state"] ?? "-")", "\(r.json["desired"] ?? "-")", "\(host?["id"] ?? "-")",
            "\(revisions?["modified"] ?? "-")",
        ]
    }

    @Test("each refused target (unknown, the same, drained, dead, full) answers its error and changes nothing")
    func refusals() async throws {
        try await withProbe { api, host in
            let id = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            try await WorkerFixture.register(host, id: "w-drained", zone: nil, adminStatus: .draining)
            try await WorkerFixture.register(host, id: "w-dead", zone: nil, heartbeatAt: Date().addingTimeInterval(-3600))
            try await WorkerFixture.register(host, id: "w-full", zone: nil, maxInstances: 0)
            try await WorkerFixture.register(host, id: "w-docker", zone: nil, capabilities: [.docker])
            let before = try await Self.facts(api, id)
            #expect(before.prefix(3) == ["running", "running", "test-host"], "\(before)")

            let cases: [(target: String, status: Int, code: String, says: String)] = [
                ("w-nowhere", 404, "NOT_FOUND", "Worker not found: w-nowhere"),
                ("test-host", 409, "INVALID_STATE", "already runs on worker test-host"),
                ("w-drained", 409, "INVALID_STATE", "it is draining"),
                ("w-dead", 409, "INVALID_STATE", "heartbeat is too old"),
                ("w-full", 409, "RESOURCE_LIMIT_EXCEEDED", "no room"),
                ("w-docker", 409, "RESOURCE_LIMIT_EXCEEDED", "no sim backend"),
            ]
            for c in cases {
                let r = try await api.post("/api/v2/vms/\(id)/migrate", #"{"worker_id":"\#(c.target)"}"#)
                #expect(r.status == c.status, "\(c.target): \(r.text)")
                #expect(r.errorCode == c.code, "\(c.target): \(r.text)")
                #expect((r.error["message"] as? String)?.contains(c.says) == true, "\(c.target): \(r.text)")
                #expect(try await Self.facts(api, id) == before, "\(c.target) changed the instance")
            }
            // Without a target and with nowhere else to go: as before this change, 409 and nothing moves.
            let nowhere = try await api.post("/api/v2/vms/\(id)/migrate", #"{"worker_id":null}"#)
            #expect(nowhere.status == 409, "\(nowhere.text)")
            #expect(nowhere.errorCode == "RESOURCE_LIMIT_EXCEEDED")
            #expect(try await Self.facts(api, id) == before)
            #expect(host.host.registry.read { $0.instances[id]?.value.migrateTo } == nil)
        }
    }

    @Test("a body that is not the documented object is a 400 in surface D's format, before anything acts")
    func badBodies() async throws {
        try await withProbe { api, _ in
            let id = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            let before = try await Self.facts(api, id)
            for body in ["not json", #"{"worker_id":5}"#, #"{"worker_id":["w2"]}"#, #"{"worker_id":""}"#, "[]", "42", #"{"worker_id":"#] {
                let r = try await api.post("/api/v2/vms/\(id)/migrate", body)
                #expect(r.status == 400, "\(body): \(r.text)")
                #expect(r.errorCode == "VALIDATION_ERROR", "\(body): \(r.text)")
                #expect(r.error["message"] is String, "\(body): \(r.text)")
            }
            // An unknown instance is still a 404, with or without a target.
            let unknown = try await api.post("/api/v2/vms/\(UUID().uuidString.lowercased())/migrate", #"{"worker_id":"w2"}"#)
            #expect(unknown.status == 404, "\(unknown.text)")
            #expect(unknown.errorCode == "INSTANCE_NOT_FOUND")
            #expect(try await Self.facts(api, id) == before)
        }
    }

    /// One more worker, `w-b`, with a real agent: without a target the move goes there, never back to the old host
    /// (which, active and now the less loaded, with the lower id, is where the leader's spread would put it).
    @Test("no target: the instance moves to the scheduler's pick among the other workers, not back to its own")
    func movesWithoutATarget() async throws {
        try await withProbe { api, host in
            let id = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            try await WorkerFixture.register(host, id: "w-b", zone: nil)
            let otherBackend = SimBackend()
            let agent = Agent(
                store: host.host.store, registry: host.host.registry,
                identity: HostIdentity(hostId: "w-b", address: "http://127.0.0.1:1"), backends: BackendSet([otherBackend]))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await agent.run() }
                defer { group.cancelAll() }
                let r = try await api.post("/api/v2/vms/\(id)/migrate", "")
                #expect(r.status == 200, "\(r.text)")
                #expect((r.json["host"] as? [String: any Sendable])?["id"] as? String == "w-b", "\(r.text)")
                #expect(try await otherBackend.list().map(\.id) == [id])
            }
        }
    }

    /// Two more workers: `w-a`, which the scheduler would pick on its own (idle, lowest id), and `w-b`, named as the
    /// target, with a real agent and its own simulated backend on the test host's store.
    @Test("a valid target: the instance runs on exactly that worker, the target is spent, the old host lets go")
    func movesToTheNamedWorker() async throws {
        try await withProbe { api, host in
            let id = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            try await WorkerFixture.register(host, id: "w-a", zone: nil)
            try await WorkerFixture.register(host, id: "w-b", zone: nil)
            let targetBackend = SimBackend()
            let agent = Agent(
                store: host.host.store, registry: host.host.registry,
                identity: HostIdentity(hostId: "w-b", address: "http://127.0.0.1:1"), backends: BackendSet([targetBackend]))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await agent.run() }
                defer { group.cancelAll() }
                let r = try await api.post("/api/v2/vms/\(id)/migrate", #"{"worker_id":"w-b"}"#)
                #expect(r.status == 200, "\(r.text)")
                #expect((r.json["host"] as? [String: any Sendable])?["id"] as? String == "w-b", "\(r.text)")
                #expect((r.json["observed"] as? [String: any Sendable])?["state"] as? String == "running", "\(r.text)")
                #expect(try await targetBackend.list().map(\.id) == [id])
                let record = try #require(host.host.registry.read { $0.instances[id]?.value })
                #expect(record.workerId == "w-b" && record.migratedFrom == "test-host")
                #expect(record.migrateTo == nil, "the target is spent once placed")
                let oldBackend = try #require(host.host.backends[.sim])
                // The old host's resync (every second) deletes it; 30 s is a generous cap for a loaded machine.
                try await eventually("the old host deletes its copy", timeout: .seconds(30)) {
                    (try? await oldBackend.list().isEmpty) ?? false
                }
            }
        }
    }
}
