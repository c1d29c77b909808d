import Foundation
import Testing

/// One VM, two surfaces: after every action, surface A and surface C show the same instance in their own
/// vocabularies (docs/api/surface-a-compute.md, the lifecycle).
@Suite("Surfaces A and C share their VMs")
struct VMSurfaceConsistencyTests {
    /// Surface A state -> surface C state and status, for settled states.
    static let table: [String: (state: String, status: String)] = [
        "running": ("ACTIVE", "running"), "stopped": ("SHUTOFF", "stopped"), "paused": ("PAUSED", "paused"),
        "error": ("ERROR", "error"),
    ]

    @Test("a VM made in C, acted on through both surfaces, looks the same in each after every action")
    func sameVM() async throws {
        try await withProbe { api, _ in
            let id = try await api.createVM("shared", flavor: "m1.small")
            func expectSame(_ expectedA: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let a = try await api.get("/api/v1/compute/instances/\(id)")
                let c = try await api.get("/api/v1/vms/\(id)")
                #expect(a.status == 200 && c.status == 200, sourceLocation: sourceLocation)
                #expect(a["state"] == expectedA, "\(a.text)", sourceLocation: sourceLocation)
                let mapped = try #require(Self.table[expectedA], sourceLocation: sourceLocation)
                #expect(c["state"] == mapped.state, "\(c.text)", sourceLocation: sourceLocation)
                #expect(c["status"] == mapped.status, sourceLocation: sourceLocation)
                #expect(a["type"] == "vm", sourceLocation: sourceLocation)
                #expect(a["backend"] == c["backend"], sourceLocation: sourceLocation)
                #expect(a["name"] == c["name"], sourceLocation: sourceLocation)
                #expect(a["workerId"] == c["worker_id"], sourceLocation: sourceLocation)
                #expect(a["createdAt"] == c["created_at"], sourceLocation: sourceLocation)
                #expect(a["updatedAt"] == c["updated_at"], sourceLocation: sourceLocation)
                #expect((a.json["config"] as? [String: Any])?["image"] as? String == c["image_id"], sourceLocation: sourceLocation)
                let cpu = ((a.json["resources"] as? [String: Any])?["cpu"] as? [String: Any])?["cores"] as? Double
                #expect(cpu == (c.json["vcpus"] as? Int).map(Double.init), sourceLocation: sourceLocation)
                let memory = ((a.json["resources"] as? [String: Any])?["memory"] as? [String: Any])?["limit"] as? Int
                #expect(memory == (c.json["memory_mb"] as? Int).map { $0 << 20 }, sourceLocation: sourceLocation)
                let listedA = try await api.get("/api/v1/compute/instances?state=\(expectedA)")
                let listedC = try await api.get("/api/v1/vms?state=\(mapped.state)")
                let idsA = (listedA.json["instances"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                let idsC = (listedC.json["items"] as? [[String: Any]] ?? []).compactMap { $0["uuid"] as? String }
                #expect(idsA == [id] && idsC == [id], sourceLocation: sourceLocation)
            }
            try await expectSame("running")
            #expect(try await api.post("/api/v1/vms/\(id)/stop", "").status == 200)
            try await expectSame("stopped")
            #expect(try await api.put("/api/v1/compute/instances/\(id)/start").status == 200)
            try await expectSame("running")
            #expect(try await api.post("/api/v1/vms/\(id)/reboot", #"{"reboot_type":"HARD"}"#).status == 200)
            try await expectSame("running")
            #expect(try await api.put("/api/v1/compute/instances/\(id)/pause").status == 200)
            try await expectSame("paused")
            // Surface C has no pause: starting or stopping a PAUSED VM there is refused with its state.
            let refused = try await api.post("/api/v1/vms/\(id)/start", "")
            #expect(refused.status == 409)
            #expect((refused.json["details"] as? [String: Any])?["current_state"] as? String == "PAUSED")
            #expect(try await api.put("/api/v1/compute/instances/\(id)/unpause").status == 200)
            try await expectSame("running")
            #expect(try await api.put("/api/v1/compute/instances/\(id)/stop", #"{"force":true}"#).status == 200)
            try await expectSame("stopped")
            #expect(try await api.post("/api/v1/vms/\(id)/start", "").status == 200)
            try await expectSame("running")
            #expect(try await api.post("/api/v1/vms/\(id)/reboot", "").status == 200)
            try await expectSame("running")
            #expect(try await api.patch("/api/v1/vms/\(id)", #"{"name":"shared-2"}"#).status == 200)
            try await expectSame("running")
            #expect(try await api.delete("/api/v1/vms/\(id)").status == 200)
            #expect(try await api.get("/api/v1/compute/instances/\(id)").status == 404)
            #expect(try await api.get("/api/v1/vms/\(id)").status == 404)
        }
    }

    @Test("surface A's vm instances are VMs in C; its containers are not")
    func fromSurfaceA() async throws {
        try await withProbe { api, _ in
            let made = try await api.post(
                "/api/v1/compute/instances",
                #"{"name":"a-vm","type":"vm","backend":"sim","config":{"image":"debian-12"},"resources":{"cpu":{"cores":2},"memory":{"limit":1073741824}}}"#
            )
            #expect(made.status == 201, "\(made.text)")
            let vmId = try #require(made["id"])
            let containerId = try await api.createSim("a-container")
            let c = try await api.get("/api/v1/vms/\(vmId)")
            #expect(c.status == 200)
            #expect(c["state"] == "ACTIVE")
            #expect(c["image_id"] == "debian-12")
            #expect(c.json["vcpus"] as? Int == 2)
            #expect(c.json["memory_mb"] as? Int == 1024)
            #expect(c.json["flavor_id"] is NSNull)
            #expect(try await api.get("/api/v1/vms/\(containerId)").status == 404)
            let list = try await api.get("/api/v1/vms")
            #expect((list.json["items"] as? [[String: Any]])?.compactMap { $0["uuid"] as? String } == [vmId])
            let stopped = try await api.post("/api/v1/vms/\(vmId)/stop", "")
            #expect(stopped["current_state"] == "SHUTOFF")
            #expect(try await api.get("/api/v1/compute/instances/\(vmId)")["state"] == "stopped")
        }
    }
}
