import Foundation
import HTTPTypes
import Testing

/// Surface C's flavor and image catalogs: built-ins seeded once, admin writes, per-backend artifacts.
@Suite("Surface C: flavors and images")
struct CatalogRoutesTests {
    @Test("GET /api/v1/flavors and /flavors/{id}: the five built-ins; unknown: 404")
    func flavors() async throws {
        try await withProbe { api, _ in
            let list = try await api.get("/api/v1/flavors")
            #expect(list.status == 200)
            #expect(list.json["total"] as? Int == 5)
            let items = try #require(list.json["items"] as? [[String: Any]])
            #expect(items.compactMap { $0["id"] as? String } == ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"])
            let sizes = items.map { [$0["vcpus"] as? Int ?? 0, $0["memory_mb"] as? Int ?? 0, $0["disk_gb"] as? Int ?? 0] }
            #expect(sizes == [[1, 512, 1], [1, 2048, 20], [2, 4096, 40], [4, 8192, 80], [8, 16384, 160]])
            let tiny = try await api.get("/api/v1/flavors/m1.tiny")
            #expect(tiny.status == 200)
            #expect(
                tiny.text
                    == #"{"description":"Tiny instance for testing","disk_gb":1,"ephemeral_gb":0,"id":"m1.tiny","is_public":true,"memory_mb":512,"name":"Tiny","swap_mb":0,"vcpus":1}"#
            )
            expectBody(
                try await api.get("/api/v1/flavors/m9.huge"), 404,
                #"{"error":"RESOURCE_NOT_FOUND","message":"Flavor m9.huge not found","details":{"resource_type":"Flavor","resource_id":"m9.huge"},"timestamp":""}"#
            )
        }
    }

    @Test("admins add and delete flavors; others may not; VMs use added flavors")
    func flavorWrites() async throws {
        try await withProbe { api, _ in
            let body = #"{"id":"c1.big","name":"c1.big","vcpus":3,"memory_mb":3072,"disk_gb":30,"description":"custom"}"#
            let created = try await api.post("/api/v1/flavors", body)
            #expect(created.status == 201, "\(created.text)")
            #expect(
                created.text
                    == #"{"description":"custom","disk_gb":30,"ephemeral_gb":0,"id":"c1.big","is_public":true,"memory_mb":3072,"name":"c1.big","swap_mb":0,"vcpus":3}"#
            )
            #expect(try await api.get("/api/v1/flavors").json["total"] as? Int == 6)
            let again = try await api.post("/api/v1/flavors", body)
            #expect(again.status == 409)
            #expect(again["error"] == "NAME_CONFLICT")
            let bad = try await api.post("/api/v1/flavors", #"{"name":"x","vcpus":0,"memory_mb":512,"disk_gb":1}"#)
            #expect(
                bad.text
                    == #"{"detail":[{"input":0,"loc":["body","vcpus"],"msg":"Input should be greater than or equal to 1","type":"greater_than_equal"}]}"#
            )
            let operatorKey: String = try #require(try await api.post("/api/v1/keys", #"{"name":"op","role":"operator"}"#)["key"])
            let denied = try await api.with(key: operatorKey).post(
                "/api/v1/flavors", #"{"name":"x","vcpus":1,"memory_mb":512,"disk_gb":1}"#)
            #expect(denied.status == 403)
            #expect((denied.json["detail"] as? [String: Any])?["error"] as? String == "AUTHORIZATION_ERROR")

            let vm = try await api.post("/api/v1/vms", #"{"name":"big-1","flavor_id":"c1.big","image_id":"debian-12"}"#)
            #expect(vm.status == 201)
            #expect(vm.json["vcpus"] as? Int == 3)
            #expect(vm.json["memory_mb"] as? Int == 3072)
            #expect(vm.json["disk_gb"] as? Int == 30)

            #expect(try await api.with(key: operatorKey).delete("/api/v1/flavors/c1.big").status == 403)
            let deleted = try await api.delete("/api/v1/flavors/c1.big")
            #expect(deleted.status == 200)
            #expect(deleted["id"] == "c1.big")
            #expect(try await api.get("/api/v1/flavors/c1.big").status == 404)
            let twice = try await api.delete("/api/v1/flavors/c1.big")
            #expect(twice.status == 404)
            #expect(twice["error"] == "RESOURCE_NOT_FOUND")
            // The VM keeps its resources.
            #expect(try await api.get("/api/v1/vms/\(try #require(vm["uuid"]))").json["vcpus"] as? Int == 3)
        }
    }

    @Test("built-ins are seeded once: an admin's deletion survives a restart")
    func seededOnce() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-seed-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withProbe(dataDir: dir, keepData: true) { api, _ async throws in
            #expect(try await api.delete("/api/v1/flavors/m1.xlarge").status == 200)
            #expect(try await api.delete("/api/v1/images/windows-2022").status == 200)
        }
        try await withProbe(dataDir: dir, keepData: true) { api, _ async throws in
            #expect(try await api.get("/api/v1/flavors").json["total"] as? Int == 4)
            #expect(try await api.get("/api/v1/flavors/m1.xlarge").status == 404)
            #expect(try await api.get("/api/v1/images/windows-2022").status == 404)
        }
    }

    @Test("GET /api/v1/images and /images/{id}: built-ins with their artifacts; unknown: 404")
    func images() async throws {
        try await withProbe { api, _ in
            let list = try await api.get("/api/v1/images")
            #expect(list.status == 200)
            #expect(list.json["total"] as? Int == 5)
            let ids = (list.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(Set(ids) == ["ubuntu-22.04", "ubuntu-20.04", "centos-9", "debian-12", "windows-2022"])
            let ubuntu = try await api.get("/api/v1/images/ubuntu-22.04")
            #expect(ubuntu.status == 200)
            let keys: Set<String> = [
                "id", "name", "status", "size_bytes", "min_disk_gb", "min_memory_mb", "os_distro", "os_version",
                "architecture", "created_at", "description", "artifacts", "backends",
            ]
            #expect(Set(ubuntu.json.keys) == keys)
            #expect(ubuntu["name"] == "Ubuntu 22.04 LTS")
            #expect(ubuntu["status"] == "active")
            #expect(ubuntu["os_distro"] == "ubuntu")
            #expect(ubuntu["os_version"] == "22.04")
            #expect(ubuntu["architecture"] == "x86_64")
            #expect(ubuntu.json["min_disk_gb"] as? Int == 10)
            #expect(
                NSDictionary(dictionary: ubuntu.json["artifacts"] as? [String: Any] ?? [:])
                    == jsonObject(
                        #"{"docker_reference":"ubuntu:22.04","kernel_path":null,"initrd_path":null,"root_disk_path":null,"root_disk_format":null}"#
                    ))
            #expect(ubuntu.json["backends"] as? [String] == ["docker", "sim"])
            #expect(try await api.get("/api/v1/images/windows-2022").json["backends"] as? [String] == ["sim"])
            expectBody(
                try await api.get("/api/v1/images/plan9"), 404,
                #"{"error":"RESOURCE_NOT_FOUND","message":"Image plan9 not found","details":{"resource_type":"Image","resource_id":"plan9"},"timestamp":""}"#
            )
        }
    }

    @Test("image import with kvm artifacts; 409 naming what is missing for the chosen backend")
    func imageArtifacts() async throws {
        try await withProbe { api, _ in
            let missing = try await api.post(
                "/api/v1/vms", #"{"name":"win","flavor_id":"m1.large","image_id":"windows-2022","metadata":{"backend":"kvm"}}"#)
            expectBody(
                missing, 409,
                #"{"error":"IMAGE_ARTIFACT_MISSING","message":"Image windows-2022 has no artifact for the kvm backend: it needs a kernel (add one with `flotilla image import`)","details":{"image_id":"windows-2022","backend":"kvm","missing":"a kernel"},"timestamp":""}"#
            )
            // sim needs no artifact.
            let onSim = try await api.post(
                "/api/v1/vms", #"{"name":"win","flavor_id":"m1.large","image_id":"windows-2022","metadata":{"backend":"sim"}}"#)
            #expect(onSim.status == 201)
            #expect(onSim["backend"] == "sim")

            let imported = try await api.post(
                "/api/v1/images",
                #"{"id":"alpine-kvm","name":"Alpine (kvm)","os_distro":"alpine","os_version":"3.20","kernel_path":"/var/lib/flotilla/images/alpine/vmlinuz","initrd_path":"/var/lib/flotilla/images/alpine/initrd","root_disk_path":"/var/lib/flotilla/images/alpine/root.qcow2","root_disk_format":"qcow2"}"#
            )
            #expect(imported.status == 201, "\(imported.text)")
            #expect(imported.json["backends"] as? [String] == ["kvm", "sim"])
            #expect((imported.json["artifacts"] as? [String: Any])?["kernel_path"] as? String == "/var/lib/flotilla/images/alpine/vmlinuz")
            #expect(try await api.get("/api/v1/images").json["total"] as? Int == 6)
            #expect(try await api.post("/api/v1/images", #"{"id":"alpine-kvm","kernel_path":"/k"}"#).status == 409)
            let relative = try await api.post("/api/v1/images", #"{"id":"rel","kernel_path":"vmlinuz"}"#)
            #expect(
                relative.text
                    == #"{"detail":[{"input":"vmlinuz","loc":["body","kernel_path"],"msg":"Value error, must be an absolute path","type":"value_error"}]}"#
            )
            // This host has no kvm backend: the artifact is there, the backend is not.
            let noKVM = try await api.post(
                "/api/v1/vms", #"{"name":"alp","flavor_id":"m1.tiny","image_id":"alpine-kvm","metadata":{"backend":"kvm"}}"#)
            #expect(noKVM.status == 503, "\(noKVM.text)")
            #expect(noKVM["error"] == "BACKEND_UNAVAILABLE")
            // Without metadata.backend the default VM backend (sim here) is used.
            let onDefault = try await api.post("/api/v1/vms", #"{"name":"alp","flavor_id":"m1.tiny","image_id":"alpine-kvm"}"#)
            #expect(onDefault.status == 201)
            #expect(onDefault["backend"] == "sim")

            // PUT adds artifacts to an existing image (here: a kernel for a built-in).
            let replaced = try await api.call(
                .put, "/api/v1/images/debian-12",
                json:
                    #"{"name":"Debian 12","os_distro":"debian","os_version":"12","docker_reference":"debian:12","kernel_path":"/boot/vmlinuz"}"#
            )
            #expect(replaced.status == 200, "\(replaced.text)")
            #expect(replaced.json["backends"] as? [String] == ["docker", "kvm", "sim"])

            let reader: String = try #require(try await api.post("/api/v1/keys", #"{"name":"r","role":"reader"}"#)["key"])
            #expect(try await api.with(key: reader).post("/api/v1/images", #"{"id":"x"}"#).status == 403)
            #expect(try await api.with(key: reader).get("/api/v1/images/alpine-kvm").status == 200)
            #expect(try await api.delete("/api/v1/images/alpine-kvm").status == 200)
            #expect(try await api.get("/api/v1/images/alpine-kvm").status == 404)
            #expect(try await api.delete("/api/v1/images/alpine-kvm").status == 404)
        }
    }
}
