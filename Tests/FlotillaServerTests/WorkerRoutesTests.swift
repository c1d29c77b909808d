import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaServer

/// Surface B (docs/api/surface-b-workers.md): workers and cluster figures on an in-process host, with extra
/// workers written into its store as fixtures (see ``WorkerFixture``).
@Suite("Surface B: workers and cluster")
struct WorkerRoutesTests {
    static let workerKeys: Set<String> = [
        "id", "hostname", "address", "zone", "status", "labels", "capabilities", "cpu_cores", "memory_mb", "disk_gb",
        "used_cpu_cores", "used_memory_mb", "used_disk_gb", "cpu_usage_percent", "memory_usage_percent", "vm_count",
        "max_vms", "started_at", "last_seen", "uptime", "is_healthy",
    ]

    static func number(_ object: [String: any Sendable], _ key: String) -> Double? {
        switch object[key] {
        case let i as Int: return Double(i)
        case let d as Double: return d
        case let n as NSNumber: return n.doubleValue
        default: return nil
        }
    }

    @Test("GET /workers/{id}: every documented field; used_* and percentages from the instances placed on it")
    func workerShape() async throws {
        try await withProbe(configure: {
            $0.zone = "us-west-1a"; $0.labels = ["env": "test"]
        }) { api, _ in
            _ = try await api.createSim("shape-1")
            _ = try await api.createSim("shape-2")
            let r = try await api.get("/api/v1/workers/test-host")
            #expect(r.status == 200, "\(r.text)")
            let w = r.json
            #expect(Set(w.keys) == Self.workerKeys)
            #expect(w["id"] as? String == "test-host")
            #expect(w["zone"] as? String == "us-west-1a")
            #expect(w["status"] as? String == "active")
            #expect(w["labels"] as? [String: String] == ["env": "test"])
            #expect((w["capabilities"] as? [String])?.contains("sim") == true)
            #expect(Self.number(w, "cpu_cores") == 64)
            #expect(Self.number(w, "memory_mb") == 65536)
            #expect(Self.number(w, "disk_gb") == 1000)
            #expect(Self.number(w, "used_cpu_cores") == 2)
            #expect(Self.number(w, "used_memory_mb") == 512)
            #expect(Self.number(w, "cpu_usage_percent") == 2.0 / 64 * 100)
            #expect(Self.number(w, "memory_usage_percent") == 512.0 / 65536 * 100)
            #expect(Self.number(w, "vm_count") == 2)
            #expect(Self.number(w, "max_vms") == 100)
            #expect(w["is_healthy"] as? Bool == true)
            let uptime = try #require(w["uptime"] as? String)
            #expect(uptime.wholeMatch(of: /(\d+h)?(\d+m)?\d+s/) != nil, "\(uptime)")
            let lastSeen = try #require(w["last_seen"] as? String)
            #expect(ISO8601DateFormatter().date(from: lastSeen) != nil)

            let vms = try await api.get("/api/v1/workers/test-host/vms")
            #expect(vms.status == 200)
            #expect(vms["worker_id"] == "test-host")
            #expect(Self.number(vms.json, "total") == 2)
            let list = try #require(vms.json["vms"] as? [[String: any Sendable]])
            #expect(list.map { $0["name"] as? String } == ["shape-1", "shape-2"])
            #expect(Set(list[0].keys) == ["id", "name", "status", "vcpus", "memory_mb"])
            #expect(list[0]["status"] as? String == "running")
            #expect(Self.number(list[0], "vcpus") == 1)
            #expect(Self.number(list[0], "memory_mb") == 256)

            let all = try await api.get("/api/v1/workers")
            #expect(Self.number(all.json, "total") == 1)
            #expect((all.json["workers"] as? [[String: any Sendable]])?.first?["id"] as? String == "test-host")
        }
    }

    @Test("uptime reads like 2h30m45s")
    func uptimeFormat() {
        #expect(WorkerMapping.uptime(9045) == "2h30m45s")
        #expect(WorkerMapping.uptime(45.9) == "45s")
        #expect(WorkerMapping.uptime(180) == "3m0s")
        #expect(WorkerMapping.uptime(3605) == "1h0m5s")
        #expect(WorkerMapping.uptime(-3) == "0s")
    }

    @Test("Unknown worker: 404 with surface B's body on every route; 401 and 400 in the same shape")
    func errors() async throws {
        try await withProbe { api, _ in
            for (method, path) in [
                ("GET", "/api/v1/workers/nope"), ("GET", "/api/v1/workers/nope/vms"),
                ("POST", "/api/v1/workers/nope/drain"), ("POST", "/api/v1/workers/nope/activate"),
            ] {
                let r = try await api.call(method == "GET" ? .get : .post, path)
                #expect(r.status == 404, "\(path)")
                #expect(r.text == #"{"code":404,"error":"Not Found","message":"Worker not found: nope"}"#, "\(path)")
            }
            let anonymous = try await api.with(key: nil).get("/api/v1/cluster/stats")
            #expect(anonymous.status == 401)
            #expect(anonymous["error"] == "Unauthorized")
            #expect(Self.number(anonymous.json, "code") == 401)
            let bad = try await api.post("/api/v1/workers/test-host/drain", #"{"migrate":"yes"}"#)
            #expect(bad.status == 400)
            #expect(bad["error"] == "Bad Request")
            #expect(Self.number(bad.json, "code") == 400)
            let range = try await api.post("/api/v1/workers/test-host/drain", #"{"migrate":true,"deadline_seconds":0}"#)
            #expect(range.status == 400)
            #expect(range.text == #"{"code":400,"error":"Bad Request","message":"deadline_seconds must be between 1 and 3600"}"#)
            // Bad input changed nothing.
            #expect(try await api.get("/api/v1/workers/test-host")["status"] == "active")
        }
    }

    @Test("?zone= keeps the workers of one zone")
    func zoneFilter() async throws {
        try await withProbe(configure: { $0.zone = "us-west-1a" }) { api, host in
            try await WorkerFixture.register(host, id: "fixture-b1", zone: "us-west-1b")
            try await WorkerFixture.register(host, id: "fixture-b2", zone: "us-west-1b")
            try await WorkerFixture.register(host, id: "fixture-none", zone: nil)
            let r = try await api.get("/api/v1/workers?zone=us-west-1b")
            #expect(r.status == 200)
            let ids = (r.json["workers"] as? [[String: any Sendable]])?.compactMap { $0["id"] as? String }
            #expect(ids == ["fixture-b1", "fixture-b2"])
            #expect(Self.number(r.json, "total") == 2)
            let consistent = try await api.get("/api/v1/workers?zone=us-west-1b&min_revision=1")
            #expect(consistent.status == 200)
            #expect(consistent.headers[.init("X-Flotilla-Revision")!] != nil)
            let none = try await api.get("/api/v1/workers?zone=mars-1a")
            #expect(none.text == #"{"total":0,"workers":[]}"#)
            let all = try await api.get("/api/v1/workers")
            #expect(Self.number(all.json, "total") == 4)
        }
    }

    @Test("drain: status draining, no new placements (RESOURCE_LIMIT_EXCEEDED); activate restores; readers may not")
    func drainAndActivate() async throws {
        try await withProbe { api, _ in
            let created = try await api.post("/api/v1/keys", #"{"name":"ro","role":"reader"}"#)
            let reader = api.with(key: created["key"])
            #expect(try await reader.call(.post, "/api/v1/workers/test-host/drain").status == 403)

            let drained = try await api.call(.post, "/api/v1/workers/test-host/drain")
            #expect(drained.status == 200)
            #expect(
                drained.text
                    == #"{"message":"Worker marked as draining. It will stop accepting new tasks.","status":"draining","worker_id":"test-host"}"#
            )
            #expect(try await api.get("/api/v1/workers/test-host")["status"] == "draining")
            let stats = try await api.get("/api/v1/cluster/stats")
            #expect(Self.number(stats.json, "draining_workers") == 1)
            #expect(Self.number(stats.json, "active_workers") == 0)

            let refused = try await api.post(
                "/api/v1/compute/instances",
                #"{"name":"no-room","backend":"sim","config":{"image":"busybox"}}"#)
            #expect(refused.status == 409, "\(refused.text)")
            #expect(refused.errorCode == "RESOURCE_LIMIT_EXCEEDED")

            let activated = try await api.call(.post, "/api/v1/workers/test-host/activate")
            #expect(activated.status == 200)
            #expect(
                activated.text
                    == #"{"message":"Worker activated. It will resume accepting tasks.","status":"active","worker_id":"test-host"}"#
            )
            #expect(try await api.get("/api/v1/workers/test-host")["status"] == "active")
            _ = try await api.createSim("after-activate")
        }
    }

    @Test("The scheduler skips a draining worker: new instances land on the active one")
    func drainingWorkerGetsNoPlacements() async throws {
        try await withProbe { api, host in
            try await WorkerFixture.register(host, id: "fixture-active", zone: nil)
            #expect(try await api.call(.post, "/api/v1/workers/test-host/drain").status == 200)
            for i in 0..<3 {
                let r = try await api.post(
                    "/api/v1/compute/instances?wait=false",
                    #"{"name":"elsewhere-\#(i)","backend":"sim","config":{"image":"busybox"}}"#)
                #expect(r.status == 202, "\(r.text)")
            }
            let placed = await host.host.registry.wait(timeout: .seconds(10)) { s in
                s.liveInstances.count == 3 && s.liveInstances.allSatisfy { $0.workerId != nil }
            }
            let workers = try #require(placed).liveInstances.map(\.workerId)
            #expect(workers == Array(repeating: "fixture-active", count: 3))
            let vms = try await api.get("/api/v1/workers/test-host/vms")
            #expect(vms.text == #"{"total":0,"vms":[],"worker_id":"test-host"}"#)
        }
    }

    @Test("A worker whose heartbeat lease expires reads offline; a stale heartbeat reads unhealthy")
    func offlineAndUnhealthy() async throws {
        try await withProbe { api, host in
            try await WorkerFixture.register(host, id: "fixture-short-lease", zone: nil, leaseTTL: .seconds(8))
            try await WorkerFixture.register(
                host, id: "fixture-stale", zone: nil, heartbeatAt: Date().addingTimeInterval(-120))
            let stale = try await api.get("/api/v1/workers/fixture-stale")
            #expect(stale["status"] == "active")
            #expect(stale.json["is_healthy"] as? Bool == false)

            #expect(try await api.get("/api/v1/workers/fixture-short-lease")["status"] == "active")
            let gone = await host.host.registry.wait(timeout: .seconds(30)) { $0.heartbeats["fixture-short-lease"] == nil }
            #expect(gone != nil)
            let offline = try await api.get("/api/v1/workers/fixture-short-lease")
            #expect(offline["status"] == "offline")
            #expect(offline.json["is_healthy"] as? Bool == false)
            #expect(offline.json["last_seen"] is NSNull)
            let stats = try await api.get("/api/v1/cluster/stats")
            #expect(Self.number(stats.json, "offline_workers") == 1)
            #expect(Self.number(stats.json, "active_workers") == 2)
        }
    }

    @Test("cluster stats add up across workers")
    func clusterStats() async throws {
        try await withProbe(configure: { $0.zone = "us-west-1a" }) { api, host in
            try await WorkerFixture.register(
                host, id: "fixture-big", zone: "us-west-1a", cpuCores: 16, memoryMB: 32768, maxInstances: 50)
            try await WorkerFixture.register(
                host, id: "fixture-draining", zone: "us-east-1a", cpuCores: 8, memoryMB: 8192, maxInstances: 20,
                adminStatus: .draining)
            try await WorkerFixture.register(host, id: "fixture-nozone", zone: "", cpuCores: 4, memoryMB: 4096, maxInstances: 10)
            // Placed by spread: pin both on the test host so the figures are known.
            for i in 0..<2 {
                let r = try await api.post(
                    "/api/v1/compute/instances",
                    #"{"name":"stat-\#(i)","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":2},"memory":{"limit":1073741824}},"placement":{"workerId":"test-host"}}"#
                )
                #expect(r.status == 201, "\(r.text)")
            }
            let r = try await api.get("/api/v1/cluster/stats")
            #expect(r.status == 200)
            let s = r.json
            #expect(
                Set(s.keys) == [
                    "total_workers", "active_workers", "draining_workers", "offline_workers", "total_cpu_cores",
                    "total_memory_mb", "used_cpu_cores", "used_memory_mb", "available_cpu_cores", "available_memory_mb",
                    "cluster_cpu_usage_percent", "cluster_memory_usage_percent", "total_vms", "max_vms",
                    "available_vm_slots", "zones",
                ])
            #expect(Self.number(s, "total_workers") == 4)
            #expect(Self.number(s, "active_workers") == 3)
            #expect(Self.number(s, "draining_workers") == 1)
            #expect(Self.number(s, "offline_workers") == 0)
            #expect(Self.number(s, "total_cpu_cores") == Double(64 + 16 + 8 + 4))
            #expect(Self.number(s, "total_memory_mb") == Double(65536 + 32768 + 8192 + 4096))
            #expect(Self.number(s, "used_cpu_cores") == 4)
            #expect(Self.number(s, "used_memory_mb") == 2048)
            #expect(Self.number(s, "available_cpu_cores") == Double(92 - 4))
            #expect(Self.number(s, "available_memory_mb") == Double(110592 - 2048))
            #expect(Self.number(s, "cluster_cpu_usage_percent") == 4.0 / 92 * 100)
            #expect(Self.number(s, "cluster_memory_usage_percent") == 2048.0 / 110592 * 100)
            #expect(Self.number(s, "total_vms") == 2)
            #expect(Self.number(s, "max_vms") == Double(100 + 50 + 20 + 10))
            #expect(Self.number(s, "available_vm_slots") == Double(180 - 2))
            #expect(s["zones"] as? [String: Int] == ["us-west-1a": 2, "us-east-1a": 1])
        }
    }

    /// A scenario of three workers in three zones, five VMs split 2/2/1. The two fixture workers run no
    /// agent, so their instances never start: this checks the scheduler's split through each instance's
    /// placement and the distribution route, not that they run.
    @Test("Three workers in three zones: five VMs spread 2/2/1; distribution matches each VM's worker")
    func seedScenario() async throws {
        try await withProbe(configure: { $0.zone = "us-east-1a" }) { api, host in
            try await WorkerFixture.register(host, id: "fixture-west-a", zone: "us-west-1a")
            try await WorkerFixture.register(host, id: "fixture-west-b", zone: "us-west-1b")
            var ids: [String] = []
            for i in 1...5 {
                let r = try await api.post(
                    "/api/v1/compute/instances?wait=false",
                    #"{"name":"dev-vm-\#(i)","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":1},"memory":{"limit":536870912}}}"#
                )
                #expect(r.status == 202, "\(r.text)")
                let id: String = try #require(r["id"])
                ids.append(id)
                _ = await host.host.registry.wait(timeout: .seconds(10)) { s in s.instances[id]?.value.workerId != nil }
            }
            let created = ids
            let placement = host.host.registry.read { s in
                Dictionary(uniqueKeysWithValues: created.map { ($0, s.instances[$0]?.value.workerId ?? "") })
            }
            let counts = Dictionary(grouping: placement.values, by: { $0 }).mapValues(\.count)
            #expect(counts.values.sorted() == [1, 2, 2], "\(counts)")

            let r = try await api.get("/api/v1/cluster/distribution")
            #expect(r.status == 200)
            #expect(Self.number(r.json, "total_workers") == 3)
            let shares = try #require(r.json["distribution"] as? [[String: any Sendable]])
            #expect(shares.map { $0["worker_id"] as? String } == ["fixture-west-a", "fixture-west-b", "test-host"])
            #expect(shares.map { $0["zone"] as? String } == ["us-west-1a", "us-west-1b", "us-east-1a"])
            for share in shares {
                let worker = try #require(share["worker_id"] as? String)
                let vms = try #require(share["vms"] as? [[String: any Sendable]])
                #expect(Self.number(share, "vm_count") == Double(counts[worker] ?? 0))
                #expect(Set(vms.compactMap { $0["id"] as? String }) == Set(placement.filter { $0.value == worker }.keys))
            }
            let stats = try await api.get("/api/v1/cluster/stats")
            #expect(Self.number(stats.json, "total_vms") == 5)
            #expect(stats.json["zones"] as? [String: Int] == ["us-east-1a": 1, "us-west-1a": 1, "us-west-1b": 1])
        }
    }

    /// A second worker with a real agent (its own simulated backend) on the test host's store: a drain with
    /// `migrate` stops the instance, the leader re-places it, the second agent creates and starts it, and the
    /// old host deletes its leftover backend instance.
    @Test("drain with migrate moves a running instance to another worker and cleans up the old one")
    func drainWithMigrate() async throws {
        try await withProbe { api, host in
            let id = try await api.createSim("mover")
            let fixtureId = "fixture-agent-worker"
            try await WorkerFixture.register(host, id: fixtureId, zone: nil)
            let otherBackend = SimBackend()
            let agent = Agent(
                store: host.host.store, registry: host.host.registry,
                identity: HostIdentity(hostId: fixtureId, address: "http://127.0.0.1:1"),
                backends: BackendSet([otherBackend]))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await agent.run() }
                defer { group.cancelAll() }
                let r = try await api.post("/api/v1/workers/test-host/drain", #"{"migrate":true,"deadline_seconds":30}"#)
                #expect(r.status == 200, "\(r.text)")
                #expect(r.json["migrated"] as? [String] == [id])
                #expect(r.json["not_migrated"] as? [String] == [])
                let moved = try await api.get("/api/v1/compute/instances/\(id)")
                #expect(moved["workerId"] == fixtureId)
                #expect(moved["state"] == "running")
                #expect(try await otherBackend.list().map(\.id) == [id])
                let oldBackend = try #require(host.host.backends[.sim])
                try await eventually("the old host no longer holds the migrated instance", every: .milliseconds(100)) {
                    (try? await oldBackend.list().isEmpty) ?? false
                }
                #expect(Self.number(try await api.get("/api/v1/workers/test-host/vms").json, "total") == 0)
                #expect(Self.number(try await api.get("/api/v1/workers/\(fixtureId)/vms").json, "total") == 1)
            }
        }
    }

    @Test("drain with migrate leaves instances no other worker can take, running where they are")
    func migrateWithNowhereToGo() async throws {
        try await withProbe { api, _ in
            let id = try await api.createSim("stays")
            let r = try await api.post("/api/v1/workers/test-host/drain", #"{"migrate":true,"deadline_seconds":5}"#)
            #expect(r.status == 200, "\(r.text)")
            #expect(r.json["migrated"] as? [String] == [])
            #expect(r.json["not_migrated"] as? [String] == [id])
            let still = try await api.get("/api/v1/compute/instances/\(id)")
            #expect(still["state"] == "running")
            #expect(still["workerId"] == "test-host")
        }
    }
}
