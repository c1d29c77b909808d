import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

/// Surface D's snapshots on one in-process host with the simulated backend (docs/decisions/0028-snapshots.md):
/// take, list, get, make a VM from one, delete; bad input in surface D's error format; roles; a backend failure
/// records nothing.
@Suite("Surface D: snapshots")
struct GlobalSnapshotTests {
    static let createBody =
        #"{"name":"origin","backend":"sim","image":"busybox","resources":{"cpu_cores":0.5,"memory_mb":64}}"#

    static func ids(_ reply: Reply) -> [String] {
        (reply.json["items"] as? [[String: any Sendable]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test("take, list, get, make a VM from it (on the holding host, from the snapshot), delete")
    func lifecycle() async throws {
        try await withProbe { api, host in
            let vm = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            let taken = try await api.post("/api/v2/vms/\(vm)/snapshots", #"{"name":"before upgrade"}"#)
            #expect(taken.status == 201, "\(taken.text)")
            let id = try #require(taken["id"])
            #expect(taken["name"] == "before upgrade")
            #expect(taken["vm_id"] == vm && taken["vm_name"] == "origin" && taken["backend"] == "sim")
            #expect(taken["host_id"] == "test-host" && taken["image"] == "busybox")
            #expect(taken.json["includes_memory"] as? Bool == false, "the sim keeps no memory: \(taken.text)")
            // Without a body: named after the VM and the snapshot's id.
            let second = try await api.call(.post, "/api/v2/vms/\(vm)/snapshots")
            #expect(second.status == 201, "\(second.text)")
            let secondId = try #require(second["id"])
            #expect(second["name"] == "origin-\(secondId.lowercased())")

            #expect(Self.ids(try await api.get("/api/v2/vms/\(vm)/snapshots")) == [id, secondId])
            #expect(Self.ids(try await api.get("/api/v2/snapshots")) == [id, secondId])
            #expect(Self.ids(try await api.get("/api/v2/snapshots?vm_id=\(UUID().uuidString.lowercased())")) == [])
            let got = try await api.get("/api/v2/snapshots/\(id)")
            #expect(got.status == 200 && got.json["name"] as? String == "before upgrade", "\(got.text)")
            #expect(try await api.get("/api/v2/snapshots/\(id.lowercased())")["id"] == id, "ids are read in either case")

            // The original goes; its snapshots stay, listed under it.
            #expect(try await api.delete("/api/v2/vms/\(vm)?wait=true").status == 200)
            #expect(Self.ids(try await api.get("/api/v2/vms/\(vm)/snapshots")) == [id, secondId])

            let made = try await api.post("/api/v2/snapshots/\(id)/vms?wait=running", #"{"name":"copy"}"#)
            #expect(made.status == 201, "\(made.text)")
            let copy = try #require(made["id"])
            #expect(made["name"] == "copy")
            #expect((made.json["host"] as? [String: any Sendable])?["id"] as? String == "test-host", "\(made.text)")
            #expect((made.json["observed"] as? [String: any Sendable])?["state"] as? String == "running", "\(made.text)")
            #expect(host.host.registry.read { $0.instances[copy]?.value.restoredFrom } == id)
            let log = try await api.get("/api/v2/instances/\(copy)/logs?tail=50").text
            #expect(log.contains("made from snapshot sim://simulated/\(id)"), "the backend made it from the snapshot: \(log)")

            let deleted = try await api.delete("/api/v2/snapshots/\(id)")
            #expect(deleted.status == 200 && deleted["id"] == id, "\(deleted.text)")
            let gone = try await api.get("/api/v2/snapshots/\(id)")
            #expect(gone.status == 404 && gone.errorCode == "RESOURCE_NOT_FOUND", "\(gone.text)")
            #expect(Self.ids(try await api.get("/api/v2/snapshots")) == [secondId])
            let still = try await api.get("/api/v2/vms/\(copy)")
            #expect((still.json["observed"] as? [String: any Sendable])?["state"] as? String == "running", "the copy keeps running")
            // A VM from a deleted snapshot is refused.
            let late = try await api.post("/api/v2/snapshots/\(id)/vms", #"{"name":"late"}"#)
            #expect(late.status == 404 && late.errorCode == "RESOURCE_NOT_FOUND", "\(late.text)")
        }
    }

    @Test("bad input is a 400 (or 404, 409) in surface D's format, and records nothing")
    func badInput() async throws {
        try await withProbe { api, _ in
            let vm = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            for body in ["not json", #"{"name":5}"#, #"{"name":""}"#, #"{"name":"a/b"}"#, #"{"name":" x"}"#, "[]", "42"] {
                let r = try await api.post("/api/v2/vms/\(vm)/snapshots", body)
                #expect(r.status == 400 && r.errorCode == "VALIDATION_ERROR", "\(body): \(r.text)")
                #expect(r.error["message"] is String, "\(body): \(r.text)")
            }
            #expect(Self.ids(try await api.get("/api/v2/snapshots")) == [], "a refused take records nothing")
            let unknown = UUID().uuidString.lowercased()
            let noVM = try await api.post("/api/v2/vms/\(unknown)/snapshots", "{}")
            #expect(noVM.status == 404 && noVM.errorCode == "INSTANCE_NOT_FOUND", "\(noVM.text)")
            let noList = try await api.get("/api/v2/vms/\(unknown)/snapshots")
            #expect(noList.status == 404 && noList.errorCode == "INSTANCE_NOT_FOUND", "\(noList.text)")
            for path in ["/api/v2/snapshots/01JDZ8Y7Q3S6W9B2C5F8H1K4M7", "/api/v2/snapshots/nothing"] {
                let r = try await api.get(path)
                #expect(r.status == 404 && r.errorCode == "RESOURCE_NOT_FOUND", "\(path): \(r.text)")
                #expect(try await api.delete(path).status == 404)
            }

            let id = try #require(try await api.post("/api/v2/vms/\(vm)/snapshots", "{}")["id"])
            for body in ["", "not json", "{}", #"{"name":null}"#, #"{"name":""}"#, #"{"name":"a/b"}"#, #"{"name":7}"#] {
                let r = try await api.post("/api/v2/snapshots/\(id)/vms", body)
                #expect(r.status == 400 && r.errorCode == "VALIDATION_ERROR", "\(body): \(r.text)")
            }
            let bad = try await api.post("/api/v2/snapshots/\(id)/vms?wait=soon", #"{"name":"ok"}"#)
            #expect(bad.status == 400 && bad.errorCode == "VALIDATION_ERROR", "\(bad.text)")
            let taken = try await api.post("/api/v2/snapshots/\(id)/vms", #"{"name":"origin"}"#)
            #expect(taken.status == 409 && taken.errorCode == "NAME_CONFLICT", "the original still holds its name: \(taken.text)")
            #expect(try await api.get("/api/v2/vms").json["items"].map { ($0 as? [Any])?.count } == 1, "no VM was made")
        }
    }

    @Test("a backend that fails the snapshot: 503, and no record")
    func backendFailure() async throws {
        try await withProbe { api, host in
            let vm = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            let sim = try #require(host.host.backends[.sim] as? SimBackend)
            await sim.setUnavailable("maintenance")
            let r = try await api.post("/api/v2/vms/\(vm)/snapshots", "{}")
            await sim.setUnavailable(nil)
            #expect(r.status == 503 && r.errorCode == "BACKEND_UNAVAILABLE", "\(r.text)")
            #expect(Self.ids(try await api.get("/api/v2/snapshots")) == [])
            #expect(host.host.registry.read { $0.snapshots.isEmpty })
        }
    }

    @Test("readers list and get; only operators take, delete and make VMs from snapshots")
    func roles() async throws {
        try await withProbe { api, _ in
            let vm = try #require(try await api.post("/api/v2/vms?wait=running", Self.createBody)["id"])
            let id = try #require(try await api.post("/api/v2/vms/\(vm)/snapshots", "{}")["id"])
            let reader = api.with(key: try await AuditTrailTests.createKey(api, "snap-reader", "reader").secret)
            let op = api.with(key: try await AuditTrailTests.createKey(api, "snap-operator", "operator").secret)
            #expect(try await reader.get("/api/v2/snapshots").status == 200)
            #expect(try await reader.get("/api/v2/snapshots/\(id)").status == 200)
            #expect(try await reader.get("/api/v2/vms/\(vm)/snapshots").status == 200)
            for r in [
                try await reader.post("/api/v2/vms/\(vm)/snapshots", "{}"),
                try await reader.post("/api/v2/snapshots/\(id)/vms", #"{"name":"r"}"#),
                try await reader.delete("/api/v2/snapshots/\(id)"),
            ] {
                #expect(r.status == 403 && r.errorCode == "FORBIDDEN", "\(r.text)")
            }
            #expect(Self.ids(try await api.get("/api/v2/snapshots")) == [id], "a refused call changed nothing")
            #expect(try await op.post("/api/v2/vms/\(vm)/snapshots", "{}").status == 201)
            #expect(try await op.post("/api/v2/snapshots/\(id)/vms", #"{"name":"o"}"#).status == 202)
            #expect(try await op.delete("/api/v2/snapshots/\(id)").status == 200)
        }
    }
}
