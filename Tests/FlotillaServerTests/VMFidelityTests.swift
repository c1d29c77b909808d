import Foundation
import Testing

/// Surface C beside openstack-vm-api's own tests (issue 12, finding 9): what upstream shows for the same calls.
@Suite("Surface C: fidelity to openstack-vm-api")
struct VMFidelityTests {
    @Test("stop then start: ACTIVE with no terminated_at (upstream sets it only on delete)")
    func terminatedAtOnlyOnDelete() async throws {
        try await withProbe { api, _ in
            let id = try await api.createVM("fid-1")
            let stop = try await api.post("/api/v1/vms/\(id)/stop", "")
            #expect(stop["current_state"] == "SHUTOFF", "\(stop.text)")
            let stopped = try await api.get("/api/v1/vms/\(id)")
            #expect(stopped["state"] == "SHUTOFF")
            #expect(stopped.json["terminated_at"] is NSNull, "a stopped VM is not terminated: \(stopped.text)")
            let start = try await api.post("/api/v1/vms/\(id)/start", "")
            #expect(start["current_state"] == "ACTIVE", "\(start.text)")
            let started = try await api.get("/api/v1/vms/\(id)")
            #expect(started["state"] == "ACTIVE")
            #expect(started.json["terminated_at"] is NSNull, "\(started.text)")
            #expect(started.json["launched_at"] is String)
        }
    }

    @Test("not-found and conflict bodies name the resource type as upstream does: Flavor, Image")
    func resourceTypes() async throws {
        try await withProbe { api, _ in
            let details = { (r: Reply) in r.json["details"] as? [String: any Sendable] ?? [:] }
            let flavor = try await api.get("/api/v1/flavors/m9.huge")
            #expect(flavor.status == 404)
            #expect(details(flavor)["resource_type"] as? String == "Flavor", "\(flavor.text)")
            let image = try await api.get("/api/v1/images/plan9")
            #expect(image.status == 404)
            #expect(details(image)["resource_type"] as? String == "Image", "\(image.text)")
            let vmFlavor = try await api.post("/api/v1/vms", #"{"name":"fid-2","flavor_id":"m9.huge","image_id":"debian-12"}"#)
            #expect(details(vmFlavor)["resource_type"] as? String == "Flavor", "\(vmFlavor.text)")
            let vmImage = try await api.post("/api/v1/vms", #"{"name":"fid-2","flavor_id":"m1.tiny","image_id":"plan9"}"#)
            #expect(details(vmImage)["resource_type"] as? String == "Image", "\(vmImage.text)")
            #expect(details(try await api.delete("/api/v1/flavors/m9.huge"))["resource_type"] as? String == "Flavor")
            #expect(details(try await api.delete("/api/v1/images/plan9"))["resource_type"] as? String == "Image")
            let taken = try await api.post("/api/v1/flavors", #"{"id":"m1.tiny","name":"again","vcpus":1,"memory_mb":512,"disk_gb":1}"#)
            #expect(taken.status == 409)
            #expect(details(taken)["resource_type"] as? String == "Flavor", "\(taken.text)")
            let imageTaken = try await api.post("/api/v1/images", #"{"id":"debian-12","docker_reference":"debian:12"}"#)
            #expect(imageTaken.status == 409)
            #expect(details(imageTaken)["resource_type"] as? String == "Image", "\(imageTaken.text)")
        }
    }

    /// Upstream's built-in flavors: the same ids and sizes, named Tiny to Extra Large.
    static let upstreamFlavors: [(id: String, name: String, sizes: [Int])] = [
        ("m1.tiny", "Tiny", [1, 512, 1]), ("m1.small", "Small", [1, 2048, 20]), ("m1.medium", "Medium", [2, 4096, 40]),
        ("m1.large", "Large", [4, 8192, 80]), ("m1.xlarge", "Extra Large", [8, 16384, 160]),
    ]

    static func expectUpstreamFlavors(_ api: HTTPProbe, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let items = try #require(try await api.get("/api/v1/flavors").json["items"] as? [[String: any Sendable]])
        let seen = items.map { item in
            (item["id"] as? String ?? "", item["name"] as? String ?? "", ["vcpus", "memory_mb", "disk_gb"].map { item[$0] as? Int ?? 0 })
        }
        #expect(seen.map(\.0) == upstreamFlavors.map(\.id), sourceLocation: sourceLocation)
        #expect(seen.map(\.1) == upstreamFlavors.map(\.name), sourceLocation: sourceLocation)
        #expect(seen.map(\.2) == upstreamFlavors.map(\.sizes), sourceLocation: sourceLocation)
    }

    @Test("the built-in flavors carry upstream's names (Tiny ... Extra Large) under the same ids")
    func flavorNames() async throws {
        try await withProbe { api, _ in
            try await Self.expectUpstreamFlavors(api)
            let small = try await api.get("/api/v1/flavors/m1.small")
            #expect(small["name"] == "Small")
            #expect(small["description"] == "Small instance for light workloads")
        }
    }

    @Test("a store seeded with the old m1.* names gets upstream's names at the next start; an admin's own change is kept")
    func oldSeedUpgraded() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-fid-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withProbe(dataDir: dir, keepData: true) { api, _ in
            // Put back what an older host seeded, and one flavor an admin changed.
            let old: [(String, Int, Int, Int, String)] = [
                ("m1.tiny", 1, 512, 1, "Tiny"), ("m1.small", 1, 2048, 20, "Small"), ("m1.medium", 2, 4096, 40, "Medium"),
                ("m1.large", 4, 8192, 80, "Large"), ("m1.xlarge", 8, 16384, 160, "Extra large"),
            ]
            for (id, vcpus, memory, disk, description) in old {
                #expect(try await api.delete("/api/v1/flavors/\(id)").status == 200)
                let name = id == "m1.large" ? "big" : id
                let r = try await api.post(
                    "/api/v1/flavors",
                    #"{"id":"\#(id)","name":"\#(name)","vcpus":\#(vcpus),"memory_mb":\#(memory),"disk_gb":\#(disk),"description":"\#(description)"}"#
                )
                #expect(r.status == 201, "\(r.text)")
            }
            #expect(try await api.get("/api/v1/flavors/m1.small")["name"] == "m1.small")
        }
        try await withProbe(dataDir: dir, keepData: true) { api, _ in
            let names = try #require(try await api.get("/api/v1/flavors").json["items"] as? [[String: any Sendable]])
                .map { $0["name"] as? String ?? "" }
            #expect(names == ["Tiny", "Small", "Medium", "big", "Extra Large"])
        }
    }
}
