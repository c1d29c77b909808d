import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@Suite("Surface A errors and auth")
struct ComputeErrorTests {
    @Test("401 without a key or with a wrong one, 403 for a reader's write; /health needs none")
    func auth() async throws {
        try await withProbe { api, _ in
            let anonymous = api.with(key: nil)
            let missing = try await anonymous.get("/api/v1/compute/instances")
            #expect(missing.status == 401)
            #expect(
                missing.text
                    == #"{"error":{"code":"UNAUTHORIZED","message":"API key is required: send X-API-Key or Authorization: Bearer"}}"#)
            let wrong = try await api.with(key: "flt_not_a_real_key_000000").get("/api/v1/compute/instances")
            #expect(wrong.status == 401)
            #expect(wrong.text == #"{"error":{"code":"UNAUTHORIZED","message":"Invalid API key"}}"#)
            #expect(try await anonymous.get("/health").status == 200)

            let created = try await api.post("/api/v1/keys", #"{"name":"ro","role":"reader"}"#)
            #expect(created.status == 201)
            let secret = try #require(created["key"])
            let reader = api.with(key: secret)
            #expect(try await reader.get("/api/v1/compute/instances").status == 200)
            let denied = try await reader.post("/api/v1/compute/instances", #"{"name":"x","backend":"sim","config":{"image":"busybox"}}"#)
            #expect(denied.status == 403)
            #expect(
                denied.text
                    == #"{"error":{"code":"FORBIDDEN","details":{"requiredRole":"operator","role":"reader"},"message":"The reader role may not do this"}}"#
            )
            #expect(try await reader.get("/api/v1/keys").status == 403)
            // Bearer works as well as X-API-Key.
            let bearer = try await anonymous.call(
                .get, "/api/v1/compute/instances", headers: HTTPFieldsKey(dictionaryLiteral: ("Authorization", "Bearer \(secret)")).fields)
            #expect(bearer.status == 200)
            #expect(try await api.get("/api/v1/compute/instances").json["total"] as? Int == 0)
        }
    }

    @Test("keys: listed without secrets, revoked keys stop working")
    func keys() async throws {
        try await withProbe { api, _ in
            let created = try await api.post("/api/v1/keys", #"{"name":"ops","role":"operator"}"#)
            let secret = try #require(created["key"])
            let id = try #require(created["id"])
            let list = try await api.get("/api/v1/keys")
            #expect(!list.text.contains(secret))
            #expect((list.json["keys"] as? [[String: Any]])?.contains { $0["name"] as? String == "ops" } == true)
            #expect(try await api.with(key: secret).createSim("by-operator") != "")
            #expect(try await api.delete("/api/v1/keys/\(id)").status == 200)
            #expect(try await api.with(key: secret).get("/api/v1/compute/instances").status == 401)
            let badRole = try await api.post("/api/v1/keys", #"{"name":"x","role":"root"}"#)
            #expect(badRole.status == 400)
        }
    }

    @Test("404, 409 and 400 bodies exactly as the contract says")
    func bodies() async throws {
        try await withProbe { api, _ in
            let unknown = "00000000-0000-0000-0000-000000000000"
            let notFound = try await api.get("/api/v1/compute/instances/\(unknown)")
            #expect(notFound.status == 404)
            #expect(
                notFound.text
                    == #"{"error":{"code":"INSTANCE_NOT_FOUND","details":{"id":"\#(unknown)"},"message":"Instance \#(unknown) not found"}}"#
            )

            let id = try await api.createSim("conflict-1")
            let start = try await api.put("/api/v1/compute/instances/\(id)/start")
            #expect(start.status == 409)
            #expect(
                start.text
                    == #"{"error":{"code":"INVALID_STATE","details":{"currentState":"running","id":"\#(id)","requestedAction":"start"},"message":"Cannot start an instance that is running"}}"#
            )
            _ = try await api.put("/api/v1/compute/instances/\(id)/stop")
            let pause = try await api.put("/api/v1/compute/instances/\(id)/pause")
            #expect(pause.status == 409)
            #expect(pause.errorCode == "INVALID_STATE")

            let dup = try await api.post(
                "/api/v1/compute/instances", #"{"name":"conflict-1","backend":"sim","config":{"image":"busybox"}}"#)
            #expect(dup.status == 409)
            #expect(
                dup.text
                    == #"{"error":{"code":"NAME_CONFLICT","details":{"name":"conflict-1"},"message":"An instance named conflict-1 already exists"}}"#
            )

            let backend = try await api.post("/api/v1/compute/instances", #"{"name":"b","backend":"vmware","config":{"image":"x"}}"#)
            #expect(backend.status == 400)
            #expect(
                backend.text
                    == #"{"error":{"code":"INVALID_BACKEND","details":{"backend":"vmware","supported":["kvm","docker","sim"]},"message":"Unknown backend vmware"}}"#
            )

            let unavailable = try await api.post("/api/v1/compute/instances", #"{"name":"k","backend":"kvm","config":{"image":"x"}}"#)
            #expect(unavailable.status == 503)
            #expect(unavailable.errorCode == "BACKEND_UNAVAILABLE")

            let tooBig = try await api.post(
                "/api/v1/compute/instances", #"{"name":"big","backend":"sim","config":{"image":"x"},"resources":{"cpu":{"cores":512}}}"#)
            #expect(tooBig.status == 409)
            #expect(tooBig.errorCode == "RESOURCE_LIMIT_EXCEEDED")

            let wrongType = try await api.post("/api/v1/compute/instances", #"{"name":5,"backend":"sim","config":{"image":"x"}}"#)
            #expect(wrongType.status == 400)
            #expect(
                wrongType.text
                    == #"{"error":{"code":"VALIDATION_ERROR","details":{"field":"name"},"message":"Invalid JSON: expected a string at name"}}"#
            )

            for query in ["pageSize=501", "page=0", "state=bogus", "backend=vmware", "labels=novalue"] {
                let r = try await api.get("/api/v1/compute/instances?\(query)")
                #expect(r.status == 400, "\(query)")
            }
        }
    }

    @Test("malformed JSON and a 2 MiB body are refused and change nothing")
    func badBodies() async throws {
        try await withProbe { api, _ in
            let id = try await api.createSim("steady")
            let before = try await api.get("/api/v1/compute/instances/\(id)")
            let malformed = try await api.post("/api/v1/compute/instances", #"{"name": "x", "backend": "sim", "#)
            #expect(malformed.status == 400)
            #expect(malformed.text == #"{"error":{"code":"VALIDATION_ERROR","message":"Malformed JSON body"}}"#)
            let huge = "{\"name\":\"huge\",\"backend\":\"sim\",\"config\":{\"image\":\"" + String(repeating: "a", count: 2 << 20) + "\"}}"
            let tooLarge = try await api.post("/api/v1/compute/instances", huge)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errorCode == "PAYLOAD_TOO_LARGE")
            let stop = try await api.put("/api/v1/compute/instances/\(id)/stop", #"{"force": "yes"}"#)
            #expect(stop.status == 400)
            let timeout = try await api.put("/api/v1/compute/instances/\(id)/stop", #"{"timeout": -1}"#)
            #expect(timeout.status == 400)
            let after = try await api.get("/api/v1/compute/instances/\(id)")
            #expect(after["state"] == "running")
            #expect(after["updatedAt"] == before["updatedAt"])
            #expect(try await api.get("/api/v1/compute/instances").json["total"] as? Int == 1)
        }
    }

    @Test("unknown routes 404 and wrong methods 405, in the surface's shape")
    func routing() async throws {
        try await withProbe { api, _ in
            let missing = try await api.get("/api/v1/compute/nothing-here")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "NOT_FOUND")
            let wrongMethod = try await api.call(.patch, "/api/v1/compute/instances")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.errorCode == "METHOD_NOT_ALLOWED")
        }
    }

    @Test("instances, keys and catalogs are kept across a restart")
    func persistence() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-restart-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (id, secret) = try await withProbe(dataDir: dir, keepData: true) { api, host in
            let id = try await api.createSim("survivor")
            _ = try await api.put("/api/v1/compute/instances/\(id)/stop")
            let key = try await api.post("/api/v1/keys", #"{"name":"kept","role":"reader"}"#)
            #expect(host.host.registry.read { $0.flavors.count } == 5)
            return (id, try #require(key["key"]))
        }
        try await withProbe(dataDir: dir, keepData: true) { api, host in
            let got = try await api.get("/api/v1/compute/instances/\(id)")
            #expect(got.status == 200)
            #expect(got["name"] == "survivor")
            #expect(got["state"] == "stopped")
            #expect(try await api.with(key: secret).get("/api/v1/compute/instances").status == 200)
            #expect(host.host.registry.read { $0.flavors.count } == 5)
            #expect(host.host.registry.read { $0.images["ubuntu-22.04"] != nil })
            // The instance comes back to life on start: the sim lost it, the agent re-creates it.
            let start = try await api.put("/api/v1/compute/instances/\(id)/start")
            #expect(start["state"] == "running", "\(start.text)")
        }
    }
}
