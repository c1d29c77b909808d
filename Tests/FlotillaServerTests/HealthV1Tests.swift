import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// `GET /api/v1/health` and `GET /api/v1/`, without a credential.
@Suite("Surface C: health and root")
struct HealthV1Tests {
    @Test("health: healthy, store connected after a round trip, backends and cluster")
    func healthy() async throws {
        try await withProbe { api, _ in
            _ = try await api.createVM("h-1")
            let r = try await api.with(key: nil).get("/api/v1/health")
            #expect(r.status == 200, "\(r.text)")
            #expect(Set(r.json.keys) == ["status", "version", "timestamp", "database", "backends", "cluster"])
            #expect(r["status"] == "healthy")
            #expect(r["database"] == "connected")
            #expect(r["version"] == "0.1.0")
            #expect(r.timestamp != nil)
            let sim = try #require((r.json["backends"] as? [String: Any])?["sim"] as? [String: Any])
            #expect(sim["status"] as? String == "healthy")
            let cluster = try #require(r.json["cluster"] as? [String: Any])
            #expect(cluster["host_id"] as? String == "test-host")
            #expect(cluster["store"] as? String == "sqlite")
            #expect(cluster["workers"] as? Int == 1)
            #expect(cluster["active_workers"] as? Int == 1)
            #expect(cluster["vms"] as? Int == 1)
            #expect((cluster["revision"] as? Int ?? 0) > 0)
        }
    }

    @Test("health: degraded while a backend is unavailable, in /api/v1/health and /health alike")
    func degraded() async throws {
        try await withProbe { api, host in
            let sim = try #require(host.host.backends[.sim] as? SimBackend)
            await sim.setUnavailable("maintenance")
            let r = try await api.with(key: nil).get("/api/v1/health")
            #expect(r.status == 200)
            #expect(r["status"] == "degraded")
            #expect(r["database"] == "connected")
            let backend = try #require((r.json["backends"] as? [String: Any])?["sim"] as? [String: Any])
            #expect(backend["status"] as? String == "unhealthy")
            #expect(backend["reason"] as? String == "maintenance")
            // /health agrees, and names the degraded backend (the host still serves: 200).
            let live = try await api.with(key: nil).get("/health")
            #expect(live.status == 200, "\(live.text)")
            #expect(live["status"] == "degraded")
            #expect((live.json["unavailableBackends"] as? [String: Any])?["sim"] as? String == "maintenance", "\(live.text)")
            await sim.setUnavailable(nil)
            #expect(try await api.with(key: nil).get("/api/v1/health")["status"] == "healthy")
            let back = try await api.with(key: nil).get("/health")
            #expect(back["status"] == "ok")
            #expect((back.json["unavailableBackends"] as? [String: Any])?.isEmpty == true, "\(back.text)")
        }
    }

    @Test("the /api/v1/ root")
    func root() async throws {
        try await withProbe { api, _ in
            for path in ["/api/v1/", "/api/v1"] {
                let r = try await api.with(key: nil).get(path)
                #expect(r.status == 200, "\(path): \(r.text)")
                #expect(r.text == #"{"docs":"/docs","name":"Flotilla VM Lifecycle API","openapi":"/openapi.json","version":"0.1.0"}"#)
            }
        }
    }
}
