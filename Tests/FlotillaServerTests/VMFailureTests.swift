import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

/// Surface C when things go wrong below it, and the request limits it shares with every surface.
@Suite("Surface C: failures and limits")
struct VMFailureTests {
    @Test("an action the backend fails: 502 BACKEND_ERROR; the VM shows ERROR in both surfaces and can be deleted")
    func backendFailure() async throws {
        try await withProbe { api, host in
            let id = try await api.createVM("fragile")
            let sim = try #require(host.host.backends[.sim] as? SimBackend)
            await sim.failNext(.stop, with: .failed("disk on fire"))
            let r = try await api.post("/api/v1/vms/\(id)/stop", "")
            expectBody(
                r, 502,
                #"{"error":"BACKEND_ERROR","message":"The sim backend failed to stop VM \#(id)","details":{"vm_id":"\#(id)","requested_action":"stop","current_state":"ERROR","state_description":"disk on fire"},"timestamp":""}"#
            )
            let vm = try await api.get("/api/v1/vms/\(id)")
            #expect(vm["state"] == "ERROR")
            #expect(vm["status"] == "error")
            #expect(vm["state_description"] == "disk on fire")
            #expect(try await api.get("/api/v1/compute/instances/\(id)")["state"] == "error")
            // Surface C: from ERROR only delete (docs/api/surface-c-vms.md, States).
            #expect(try await api.post("/api/v1/vms/\(id)/start", "").status == 409)
            let deleted = try await api.delete("/api/v1/vms/\(id)")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(deleted["previous_state"] == "ERROR")
            #expect(deleted["current_state"] == "DELETED")
        }
    }

    @Test("sync records a crash the backend saw")
    func syncCrash() async throws {
        try await withProbe { api, host in
            let id = try await api.createVM("crashy")
            let sim = try #require(host.host.backends[.sim] as? SimBackend)
            try await sim.crash(id: id, exitCode: 137)
            let r = try await api.post("/api/v1/vms/\(id)/sync", "")
            #expect(r.status == 200)
            #expect(r["state"] == "ERROR")
            // The sync, or the agent first (with the restart its policy planned), records the exit as it is.
            #expect(r["state_description"]?.hasPrefix("exited with code 137") == true, "\(r.text)")
        }
    }

    @Test("sync while the backend is unavailable: 503 BACKEND_UNAVAILABLE")
    func syncUnavailable() async throws {
        try await withProbe { api, host in
            let id = try await api.createVM("unreachable")
            let sim = try #require(host.host.backends[.sim] as? SimBackend)
            await sim.setUnavailable("maintenance")
            let r = try await api.post("/api/v1/vms/\(id)/sync", "")
            expectBody(
                r, 503,
                #"{"error":"BACKEND_UNAVAILABLE","message":"sim backend is not available","details":{"backend":"sim","reason":"maintenance"},"timestamp":""}"#
            )
            await sim.setUnavailable(nil)
            #expect(try await api.post("/api/v1/vms/\(id)/sync", "")["state"] == "ACTIVE")
        }
    }

    @Test("Idempotency-Key on create returns the first VM instead of creating twice")
    func idempotency() async throws {
        try await withProbe { api, _ in
            let key: HTTPFieldsKey = ["Idempotency-Key": "vm-key-1"]
            let body = #"{"name":"once","flavor_id":"m1.tiny","image_id":"debian-12"}"#
            let first = try await api.call(.post, "/api/v1/vms", json: body, headers: key.fields)
            let spaced = #"{ "image_id":"debian-12", "name":"once", "flavor_id":"m1.tiny" }"#
            let second = try await api.call(.post, "/api/v1/vms", json: spaced, headers: key.fields)
            #expect(first.status == 201)
            #expect(second.status == 200)
            #expect(first["uuid"] == second["uuid"])
            let other = try await api.call(
                .post, "/api/v1/vms", json: #"{"name":"twice","flavor_id":"m1.tiny","image_id":"debian-12"}"#, headers: key.fields)
            #expect(other.status == 422)
            #expect(try await api.get("/api/v1/vms").json["total"] as? Int == 1)
        }
    }

    @Test("a 2 MiB body: 413 in surface C's shape, nothing created")
    func oversize() async throws {
        try await withProbe { api, _ in
            let big = String(repeating: "x", count: 2 << 20)
            let r = try await api.post(
                "/api/v1/vms", #"{"name":"big","flavor_id":"m1.tiny","image_id":"debian-12","description":"\#(big)"}"#)
            #expect(r.status == 413)
            #expect(r["error"] == "PAYLOAD_TOO_LARGE")
            #expect(r.timestamp != nil)
            #expect(try await api.get("/api/v1/vms").json["total"] as? Int == 0)
        }
    }
}
