import FlotillaAPI
import FlotillaCore
import Foundation
import Testing

@testable import FlotillaServer

/// How a migration shows on the wire (docs/decisions/0027-live-migration.md): surface D's `migration` of a VM, the
/// `moves` of a drain, and the migrate body, each held to its schema in `/openapi.json`.
@Suite("Migration surfaces")
struct MigrationSurfaceTests {
    static let at = Date(timeIntervalSince1970: 1_764_504_000)  // 2025-11-30T12:00:00Z
    static let check = JSONSchemaCheck(components: OpenAPISchemas.all)

    static func record(_ migration: MigrationRecord?) -> Versioned<Instance> {
        var i = Instance(
            id: "00000000-0000-0000-0000-00000000000a", name: "counter", kind: .vm, backend: .kvm,
            spec: InstanceSpec(config: InstanceConfig(image: "flotilla-guest")), createdAt: at)
        i.state = .running
        i.workerId = "b"
        i.lastMigration = migration
        return Versioned(value: i, modRevision: 9, createRevision: 3)
    }

    /// The JSON object an answer sends, as a client reads it.
    static func json(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try WireJSON.encoder().encode(value))
    }

    static func object(_ value: JSONValue?) throws -> [String: JSONValue] {
        guard case .object(let o)? = value else { throw MigrationSurfaceError.notAnObject }
        return o
    }

    enum MigrationSurfaceError: Error { case notAnObject }

    @Test("a VM that never moved has no migration field; one that moved live shows mode, outcome, hosts, figures and time")
    func vmMigration() throws {
        let never = try Self.object(Self.json(GlobalMapping.vm(Self.record(nil), in: RegistryState())))
        #expect(never["migration"] == nil)
        #expect(Self.check.problems(.object(never), OpenAPISchemas.ref("GlobalVM")).isEmpty)

        let live = MigrationRecord(
            mode: .live, outcome: .moved, from: "a", to: "b",
            figures: MigrationFigures(
                totalMilliseconds: 1800, downtimeMilliseconds: 42, diskMilliseconds: 300, memoryBytes: 130 << 20,
                diskBytes: 1 << 30), at: Self.at)
        let vm = try Self.object(Self.json(GlobalMapping.vm(Self.record(live), in: RegistryState())))
        let m = try Self.object(vm["migration"])
        #expect(m["mode"] == "live" && m["outcome"] == "moved" && m["from"] == "a" && m["to"] == "b")
        #expect(m["at"] == "2025-11-30T12:00:00Z")
        #expect(m["reason"] == nil, "a live move that worked has no reason")
        let f = try Self.object(m["figures"])
        #expect(f["total_ms"] == .int(1800) && f["downtime_ms"] == .int(42) && f["disk_ms"] == .int(300))
        #expect(f["memory_bytes"] == .int(130 << 20) && f["disk_bytes"] == .int(1 << 30))
        #expect(Self.check.problems(.object(vm), OpenAPISchemas.ref("GlobalVM")) == [])
    }

    @Test("a cold move and a failed live one carry their reasons and no figures, and conform to the schema")
    func coldAndFailed() throws {
        for (mode, outcome, reason) in [
            (MigrationRecord.Mode.cold, MigrationRecord.Outcome.moved, "docker containers move cold"),
            (.live, .failed, "the destination b died: connection reset"), (.live, .migrating, nil),
        ] {
            let record = MigrationRecord(mode: mode, outcome: outcome, from: "a", to: "b", reason: reason, at: Self.at)
            let vm = try Self.json(GlobalMapping.vm(Self.record(record), in: RegistryState()))
            let m = try Self.object(try Self.object(vm)["migration"])
            #expect(m["mode"] == .string(mode.rawValue) && m["outcome"] == .string(outcome.rawValue))
            #expect(m["reason"] == reason.map { .string($0) })
            #expect(m["figures"] == nil)
            #expect(Self.check.problems(vm, OpenAPISchemas.ref("GlobalVM")) == [], "\(mode) \(outcome)")
        }
        let decoded = try WireJSON.decoder().decode(
            Global.VM.self,
            from: try WireJSON.encoder().encode(
                GlobalMapping.vm(
                    Self.record(MigrationRecord(mode: .cold, outcome: .moved, from: "a", to: "b", reason: "asked", at: Self.at)),
                    in: RegistryState())))
        #expect(decoded.migration == Global.Migration(mode: "cold", outcome: "moved", from: "a", to: "b", reason: "asked", at: Self.at))
    }

    @Test("a drain's moves are one entry per instance, by id, with mode, outcome, destination and reason")
    func drainMoves() throws {
        let moves = Workers.Move.moves([
            "c2": MigrationRecord(mode: .cold, outcome: .moved, from: "a", to: "b", reason: "docker containers move cold", at: Self.at),
            "a1": MigrationRecord(
                mode: .live, outcome: .moved, from: "a", to: "b",
                figures: MigrationFigures(totalMilliseconds: 900, downtimeMilliseconds: 30), at: Self.at),
            "b3": MigrationRecord(mode: .live, outcome: .failed, from: "a", to: "c", reason: "timed out", at: Self.at),
        ])
        #expect(moves.map(\.id) == ["a1", "b3", "c2"])
        #expect(moves[0] == Workers.Move(id: "a1", mode: "live", outcome: "moved", to: "b"))
        #expect(moves[1] == Workers.Move(id: "b3", mode: "live", outcome: "failed", to: "c", reason: "timed out"))
        let change = Workers.StatusChange(
            workerId: "a", status: "draining", message: "m", migrated: ["a1", "c2"], notMigrated: ["b3"], moves: moves)
        let json = try Self.json(change)
        #expect(Self.check.problems(json, OpenAPISchemas.ref("WorkerStatusChange")) == [])
        let wire = try Self.object(json)
        guard case .array(let items)? = wire["moves"] else { throw MigrationSurfaceError.notAnObject }
        #expect(try Self.object(items[2])["reason"] == "docker containers move cold")
        // A drain without migrate says nothing about moves.
        #expect(try Self.object(Self.json(Workers.StatusChange(workerId: "a", status: "draining", message: "m")))["moves"] == nil)
        #expect(Workers.Move.moves([:]) == [])
    }

    @Test("the migrate body takes target, worker_id and live; an empty target or a non-boolean live does not conform")
    func migrateBody() throws {
        let schema = OpenAPISchemas.ref("GlobalMigrateRequest")
        let body = try Self.json(Global.MigrateRequest(workerId: "b", target: "b", live: true))
        #expect(try Self.object(body) == ["worker_id": "b", "target": "b", "live": true])
        #expect(Self.check.problems(body, schema) == [])
        #expect(!Self.check.problems(.object(["target": ""]), schema).isEmpty)
        #expect(!Self.check.problems(.object(["live": "yes"]), schema).isEmpty)
        #expect(try Self.object(Self.json(Global.MigrateRequest())) == [:], "no worker and no live: an empty body")
    }
}
