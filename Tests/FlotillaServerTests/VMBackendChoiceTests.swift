import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Which backend a surface-C VM lands on, and what sync does for a VM this host does not run.
@Suite("Surface C: backends")
struct VMBackendChoiceTests {
    @Test("without metadata.backend the host's default VM backend is used (here: kvm, so images need a kernel)")
    func defaultBackend() async throws {
        try await TestHost.withRouter({ h in
            ServerDependencies(
                store: h.store, registry: h.registry, instances: h.instances, keys: h.keys, backends: h.backends,
                identity: h.identity, version: FlotillaHost.version, defaultVMBackend: .kvm)
        }) { client, host in
            let api = HTTPProbe(client: client, key: host.adminKey)
            let onDefault = try await api.post("/api/v1/vms", #"{"name":"d-1","flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            #expect(onDefault.status == 409, "\(onDefault.text)")
            #expect(onDefault["error"] == "IMAGE_ARTIFACT_MISSING")
            #expect((onDefault.json["details"] as? [String: Any])?["backend"] as? String == "kvm")
            let onSim = try await api.post(
                "/api/v1/vms", #"{"name":"d-1","flavor_id":"m1.tiny","image_id":"debian-12","metadata":{"backend":"sim"}}"#)
            #expect(onSim.status == 201)
            #expect(onSim["backend"] == "sim")
        }
    }

    @Test("a host without kvm defaults to sim")
    func simDefault() async throws {
        try await withProbe { api, _ in
            let r = try await api.post("/api/v1/vms", #"{"name":"s-1","flavor_id":"m1.tiny","image_id":"windows-2022"}"#)
            #expect(r.status == 201)
            #expect(r["backend"] == "sim")
        }
    }

    @Test("sync of a VM another host runs: 503 BACKEND_UNAVAILABLE, the record unchanged")
    func syncElsewhere() async throws {
        try await withProbe { api, host in
            let id = UUID().uuidString.lowercased()
            var instance = Instance(
                id: id, name: "remote-1", kind: .vm, backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "debian-12")),
                createdAt: Date())
            instance.state = .running
            instance.workerId = "other-host"
            let revision = try await host.host.store.put(StoreKeys.instance(id), value: try StoreCodec.encode(instance))
            let seen = try await api.get("/api/v1/vms/\(id)?min_revision=\(revision)")
            #expect(seen["state"] == "ACTIVE")
            #expect(seen["worker_id"] == "other-host")
            let r = try await api.post("/api/v1/vms/\(id)/sync", "")
            #expect(r.status == 503, "\(r.text)")
            #expect(r["error"] == "BACKEND_UNAVAILABLE")
            #expect((r.json["details"] as? [String: Any])?["worker_id"] as? String == "other-host")
            #expect(try await api.get("/api/v1/vms/\(id)")["state"] == "ACTIVE")
        }
    }
}
