import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite("Surface A lifecycle")
struct ComputeLifecycleTests {
    @Test("create, stop, start, pause, unpause, restart, delete: each state visible in GET and list filters")
    func roundTrip() async throws {
        try await withProbe { api, _ in
            let id = try await api.createSim("web-1", labels: #"{"app":"web"}"#)
            func expectState(_ state: String) async throws {
                let got = try await api.get("/api/v1/compute/instances/\(id)")
                #expect(got.status == 200)
                #expect(got["state"] == state, "\(got.text)")
                let listed = try await api.get("/api/v1/compute/instances?state=\(state)&backend=sim&labels=app=web")
                let ids = (listed.json["instances"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                #expect(ids == [id], "list filtered by state=\(state): \(listed.text)")
            }
            try await expectState("running")
            for (verb, state) in [
                ("stop", "stopped"), ("start", "running"), ("pause", "paused"), ("unpause", "running"), ("restart", "running"),
            ] {
                let r = try await api.put("/api/v1/compute/instances/\(id)/\(verb)")
                #expect(r.status == 200, "\(verb): \(r.text)")
                #expect(r["state"] == state, "\(verb): \(r.text)")
                try await expectState(state)
            }
            let deleted = try await api.delete("/api/v1/compute/instances/\(id)?force=true")
            #expect(deleted.status == 200)
            #expect(deleted["state"] == "deleted")
            #expect(try await api.get("/api/v1/compute/instances/\(id)").status == 404)
            let all = try await api.get("/api/v1/compute/instances")
            #expect(all.json["total"] as? Int == 0)
            // The name is free again.
            _ = try await api.createSim("web-1")
        }
    }

    @Test("surface A's instance shape")
    func shape() async throws {
        try await withProbe { api, _ in
            let r = try await api.post(
                "/api/v1/compute/instances",
                #"{"name":"nginx-web","backend":"sim","config":{"image":"nginx:alpine","ports":["8080:80"],"env":["NGINX_HOST=example.com"]},"resources":{"cpu":{"cores":1},"memory":{"limit":536870912}}}"#
            )
            #expect(r.status == 201)
            let j = r.json
            #expect(j["id"] as? String == j["uuid"] as? String)
            #expect(
                (j["id"] as? String)?.range(
                    of: #"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"#, options: .regularExpression) != nil)
            #expect(j["type"] as? String == "container")
            #expect(j["backend"] as? String == "sim")
            #expect(j["status"] as? String == "healthy")
            #expect(j["workerId"] as? String == "test-host")
            let config = try #require(j["config"] as? [String: Any])
            #expect(config["image"] as? String == "nginx:alpine")
            #expect(config["ports"] as? [String] == ["8080:80"])
            let resources = try #require(j["resources"] as? [String: Any])
            #expect((resources["cpu"] as? [String: Any])?["cores"] as? Double == 1)
            #expect((resources["memory"] as? [String: Any])?["limit"] as? Int == 536_870_912)
            #expect((j["createdAt"] as? String)?.hasSuffix("Z") == true)
            #expect(r.headers[.init("X-Flotilla-Revision")!].flatMap { Int($0) } ?? 0 > 0)
            let byName = try await api.get("/api/v1/compute/instances/name/nginx-web")
            #expect(byName["id"] == j["id"] as? String)
        }
    }

    @Test("a KVM create, on sim: a vm with cloud-init, storage and 2 cores")
    func seedVMExample() async throws {
        try await withProbe { api, _ in
            let r = try await api.post(
                "/api/v1/compute/instances",
                ##"{"name":"ubuntu-vm","backend":"sim","type":"vm","config":{"image":"ubuntu-22.04","diskFormat":"qcow2","cloudInit":{"userData":"#cloud-config\npackages:\n  - nginx\n"}},"resources":{"cpu":{"cores":2},"memory":{"limit":2147483648},"storage":{"totalSpace":21474836480}}}"##
            )
            #expect(r.status == 201, "\(r.text)")
            #expect(r["type"] == "vm")
            #expect(r["state"] == "running")
            let config = try #require(r.json["config"] as? [String: Any])
            #expect((config["cloudInit"] as? [String: Any])?["userData"] as? String == "#cloud-config\npackages:\n  - nginx\n")
            #expect(((r.json["resources"] as? [String: Any])?["storage"] as? [String: Any])?["totalSpace"] as? Int == 21_474_836_480)
            let running = try await api.get("/api/v1/compute/instances?state=running")
            #expect(running.json["total"] as? Int == 1)
        }
    }

    @Test("wait=false answers 202 with the transitional state")
    func asynchronous() async throws {
        try await withProbe { api, _ in
            let id = try await api.createSim("async-1", wait: false)
            let settled = try await api.get("/api/v1/compute/instances/\(id)?min_revision=0")
            #expect(settled.status == 200)
            // Wait for it to run, then stop without waiting.
            _ = try await api.put("/api/v1/compute/instances/\(id)/start")  // may be 409 when already running
            try await eventually("it runs") { try await api.get("/api/v1/compute/instances/\(id)")["state"] == "running" }
            let stop = try await api.put("/api/v1/compute/instances/\(id)/stop?wait=false", #"{"force":true}"#)
            #expect(stop.status == 202)
            #expect(stop["state"] == "stopping")
        }
    }

    @Test("usage comes from the backend")
    func usage() async throws {
        try await withProbe { api, _ in
            let id = try await api.createSim("usage-1")
            let u = try await api.get("/api/v1/compute/instances/\(id)/usage")
            #expect(u.status == 200, "\(u.text)")
            let memory = try #require(u.json["memory"] as? [String: Any])
            #expect(memory["limit"] as? Int == 268_435_456)
            #expect((memory["used"] as? Int ?? -1) > 0)
            let cpu = try #require(u.json["cpu"] as? [String: Any])
            #expect(cpu["cores"] as? Double == 1)
            #expect(u.json["network"] is [String: Any])
        }
    }

    @Test("update applies live on sim and says so")
    func update() async throws {
        try await withProbe { api, _ in
            let id = try await api.createSim("resize-1")
            let r = try await api.put(
                "/api/v1/compute/instances/\(id)", #"{"resources":{"cpu":{"cores":2}},"metadata":{"labels":{"tier":"gold"}}}"#)
            #expect(r.status == 200, "\(r.text)")
            #expect(r["applied"] == "live")
            #expect(((r.json["resources"] as? [String: Any])?["cpu"] as? [String: Any])?["cores"] as? Double == 2)
            let u = try await api.get("/api/v1/compute/instances/\(id)/usage")
            #expect((u.json["cpu"] as? [String: Any])?["cores"] as? Double == 2)
            let filtered = try await api.get("/api/v1/compute/instances?labels=tier=gold")
            #expect(filtered.json["total"] as? Int == 1)
        }
    }

    @Test("paging: page and pageSize, newest first")
    func paging() async throws {
        try await withProbe { api, _ in
            for i in 1...5 { _ = try await api.createSim("p-\(i)", wait: false) }
            let page = try await api.get("/api/v1/compute/instances?page=2&pageSize=2")
            #expect(page.json["total"] as? Int == 5)
            #expect(page.json["page"] as? Int == 2)
            #expect(page.json["pageSize"] as? Int == 2)
            let names = (page.json["instances"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == ["p-3", "p-2"])
        }
    }

    @Test("cluster status and backend info")
    func clusterStatus() async throws {
        try await withProbe { api, _ in
            _ = try await api.createSim("cs-1")
            let s = try await api.get("/api/v1/compute/cluster/status")
            #expect(s.status == 200)
            #expect(s.json["totalInstances"] as? Int == 1)
            #expect(s.json["health"] as? String == "healthy")
            let sim = try #require((s.json["backends"] as? [String: Any])?["sim"] as? [String: Any])
            #expect(sim["instances"] as? Int == 1)
            let info = try await api.get("/api/v1/compute/backends/sim/info")
            #expect(info.status == 200)
            #expect(info["type"] == "sim")
            #expect(info["status"] == "running")
            #expect(info.json["supportedTypes"] as? [String] == ["vm", "container"])
            let kvm = try await api.get("/api/v1/compute/backends/kvm/info")
            #expect(kvm.status == 503)
            #expect(kvm.errorCode == "BACKEND_UNAVAILABLE")
            let bogus = try await api.get("/api/v1/compute/backends/vmware/info")
            #expect(bogus.status == 400)
            #expect(bogus.errorCode == "INVALID_BACKEND")
        }
    }

    @Test("Idempotency-Key returns the first result instead of creating twice")
    func idempotency() async throws {
        try await withProbe { api, _ in
            let body = #"{"name":"idem-1","backend":"sim","config":{"image":"busybox"}}"#
            let key: HTTPFieldsKey = ["Idempotency-Key": "abc-123"]
            let first = try await api.call(.post, "/api/v1/compute/instances", json: body, headers: key.fields)
            let second = try await api.call(.post, "/api/v1/compute/instances", json: body, headers: key.fields)
            #expect(first.status == 201)
            #expect(second.status == 200)
            #expect(first["id"] == second["id"])
            let other = try await api.call(
                .post, "/api/v1/compute/instances", json: #"{"name":"idem-2","backend":"sim","config":{"image":"x"}}"#,
                headers: key.fields)
            #expect(other.status == 400)
            #expect(try await api.get("/api/v1/compute/instances").json["total"] as? Int == 1)
        }
    }
}

/// Builds header fields from a literal.
struct HTTPFieldsKey: ExpressibleByDictionaryLiteral {
    var fields: HTTPFields = [:]
    init(dictionaryLiteral elements: (String, String)...) {
        // The tests write literal header names; a dictionary literal cannot throw.
        // swift-format-ignore: NeverForceUnwrap
        for (k, v) in elements { fields[.init(k)!] = v }
    }
}
