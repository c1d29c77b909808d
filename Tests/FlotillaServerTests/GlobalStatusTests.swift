import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// Surface D's live status, the internal routes' credential, the cluster view and the revision header.
@Suite("Surface D: status, internal routes, cluster")
struct GlobalStatusTests {
    @Test("status of a local instance is live from the backend: routed false, served by this host, usage present")
    func localStatus() async throws {
        try await withProbe { probe, _ in
            let created = try await probe.post("/api/v2/vms?wait=running", GlobalRoutesTests.createBody("live-one"))
            let id = try #require(created["id"])
            let r = try await probe.get("/api/v2/vm/\(id)/status")
            #expect(r.status == 200, "\(r.text)")
            #expect(r["state"] == "running")
            #expect(r["served_by"] == "test-host")
            #expect(r.json["routed"] as? Bool == false)
            #expect(r["observed_at"] != nil)
            let usage = try #require(r.json["usage"] as? [String: Any])
            #expect(Set(usage.keys) == ["cpu", "memory", "storage", "network"])
            #expect(((usage["memory"] as? [String: Any])?["limit_bytes"] as? Int) == 64 << 20)
            #expect((r.json["host"] as? [String: Any])?["id"] as? String == "test-host")
            #expect(r.headers[.init("X-Flotilla-Revision")!] != nil)
        }
    }

    @Test("owner down: 503 HOST_UNREACHABLE with last_known (not live) for v2; v1 usage says BACKEND_UNAVAILABLE")
    func unreachableOwner() async throws {
        try await withProbe { probe, host in
            // A registered host with a heartbeat whose address refuses connections, and one that went offline.
            try await WorkerFixture.register(host, id: "ghost", zone: "zg", leaseTTL: .seconds(120))
            let created = try await probe.post(
                "/api/v2/vms", GlobalRoutesTests.createBody("on-ghost", placement: #"{"worker_id":"ghost"}"#))
            let id = try #require(created["id"])
            let placed = await host.host.registry.wait(timeout: .seconds(15)) { $0.instances[id]?.value.workerId == "ghost" }
            #expect(placed != nil)
            let r = try await probe.get("/api/v2/vm/\(id)/status")
            #expect(r.status == 503, "\(r.text)")
            #expect(r.errorCode == "HOST_UNREACHABLE")
            let lastKnown = try #require(r.json["last_known"] as? [String: Any])
            #expect(lastKnown["id"] as? String == id)
            #expect((lastKnown["host"] as? [String: Any])?["id"] as? String == "ghost")
            #expect(r.json["usage"] == nil && r.json["state"] == nil, "no live fields at the top level")

            let usage = try await probe.get("/api/v1/compute/instances/\(id)/usage")
            #expect(usage.status == 503, "\(usage.text)")
            #expect(usage.errorCode == "BACKEND_UNAVAILABLE")
            #expect((usage.error["details"] as? [String: Any])?["reason"] as? String == "HOST_UNREACHABLE")

            // Offline (no heartbeat): refused at once, from the registry.
            let lease = try #require(host.host.registry.read { $0.heartbeats["ghost"] })
            _ = lease
            let deleted = try await host.host.store.delete(StoreKeys.alive("ghost"))
            _ = await host.host.registry.waitForRevision(deleted.revision, timeout: .seconds(5))
            let offline = try await probe.get("/api/v2/vm/\(id)/status")
            #expect(offline.status == 503)
            #expect((offline.error["details"] as? [String: Any])?["reason"] as? String == "host ghost is offline")
        }
    }

    @Test("internal routes: 401 without a credential or with a wrong token, 403 for client keys, 200 for the cluster token")
    func internalAuth() async throws {
        try await withProbe { probe, host in
            let path = "/internal/v1/identity"
            let anonymous = try await probe.with(key: nil).get(path)
            #expect(anonymous.status == 401)
            #expect(anonymous.errorCode == "UNAUTHORIZED")
            let admin = try await probe.get(path)
            #expect(admin.status == 403, "\(admin.text)")
            #expect(admin.errorCode == "FORBIDDEN")
            let reader = try await probe.post("/api/v1/keys", #"{"name":"r","role":"reader"}"#)
            let readerKey = try #require(reader["key"] ?? reader["secret"])
            #expect(try await probe.with(key: readerKey).get(path).status == 403)
            #expect(try await probe.with(key: "not-a-key").get(path).status == 401)
            let wrong = try await probe.with(key: nil).call(.get, path, headers: [.init("X-Flotilla-Cluster-Token")!: "00"])
            #expect(wrong.status == 401)
            let token = host.host.clusterCredential.token
            let ok = try await probe.with(key: nil).call(.get, path, headers: [.init("X-Flotilla-Cluster-Token")!: token])
            #expect(ok.status == 200, "\(ok.text)")
            #expect(ok["host_id"] == "test-host")
            let status = try await probe.with(key: nil).get("/internal/v1/instances/\(UUID().uuidString.lowercased())/status")
            #expect(status.status == 401)
        }
    }

    @Test("cluster: this host is the healthy leader, with its term; the store is named and healthy")
    func cluster() async throws {
        try await withProbe { probe, host in
            _ = await host.host.registry.wait(timeout: .seconds(10)) { $0.leader != nil }
            let r = try await probe.get("/api/v2/cluster")
            #expect(r.status == 200, "\(r.text)")
            let members = try #require(r.json["members"] as? [[String: Any]])
            #expect(members.count == 1)
            #expect(members.first?["role"] as? String == "leader")
            #expect(members.first?["healthy"] as? Bool == true)
            let leader = try #require(r.json["leader"] as? [String: Any])
            #expect(leader["id"] as? String == "test-host")
            #expect((leader["term"] as? Int ?? 0) > 0)
            let store = try #require(r.json["store"] as? [String: Any])
            #expect(store["kind"] as? String == "sqlite")
            #expect(store["healthy"] as? Bool == true)
        }
    }

    @Test("every surface D route carries X-Flotilla-Revision and honours min_revision")
    func revisions() async throws {
        try await withProbe { probe, _ in
            let created = try await probe.post("/api/v2/vms?wait=running", GlobalRoutesTests.createBody("rev-one"))
            let id = try #require(created["id"])
            let header = HTTPField.Name("X-Flotilla-Revision")!
            let written = Int(try #require(created.headers[header])) ?? 0
            for path in ["/api/v2/vms", "/api/v2/vms/\(id)", "/api/v2/vm/\(id)/status", "/api/v2/cluster", "/openapi.json"] {
                let r = try await probe.get("\(path)?min_revision=\(written)")
                #expect(r.status == 200, "\(path): \(r.text)")
                #expect((Int(r.headers[header] ?? "") ?? 0) >= written, "\(path)")
            }
            let bad = try await probe.get("/api/v2/vms?min_revision=-1")
            #expect(bad.status == 400)
            let missing = try await probe.get("/api/v2/vms/nope")
            #expect(missing.headers[header] != nil)
        }
    }
}
