import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

/// Surface C (docs/api/surface-c-vms.md): every route with its exact statuses and bodies.
@Suite("Surface C: VMs")
struct VMRoutesTests {
    static let uuidPattern = #"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"#

    @Test("401 for a missing and a wrong key, 403 for a reader's write, Bearer accepted")
    func auth() async throws {
        try await withProbe { api, _ in
            let anonymous = api.with(key: nil)
            for path in ["/api/v1/vms", "/api/v1/flavors", "/api/v1/images", "/api/v1/vms/00000000-0000-0000-0000-000000000000"] {
                let missing = try await anonymous.get(path)
                #expect(missing.status == 401)
                #expect(
                    missing.text
                        == #"{"detail":{"details":"Provide an API key in the X-API-Key header","error":"AUTHENTICATION_ERROR","message":"API key is required"}}"#
                )
                let wrong = try await api.with(key: "flt_not_a_real_key_000000").get(path)
                #expect(wrong.status == 401)
                #expect(
                    wrong.text
                        == #"{"detail":{"details":"The provided API key is not valid","error":"AUTHENTICATION_ERROR","message":"Invalid API key"}}"#
                )
            }
            let created = try await api.post("/api/v1/keys", #"{"name":"ro","role":"reader"}"#)
            let secret: String = try #require(created["key"])
            let reader = api.with(key: secret)
            #expect(try await reader.get("/api/v1/vms").status == 200)
            let denied = try await reader.post("/api/v1/vms", #"{"name":"x","flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            #expect(denied.status == 403)
            #expect(
                denied.text
                    == #"{"detail":{"details":"This action needs the operator role","error":"AUTHORIZATION_ERROR","message":"The reader role may not do this"}}"#
            )
            let bearer = try await anonymous.call(
                .get, "/api/v1/vms", headers: HTTPFieldsKey(dictionaryLiteral: ("Authorization", "Bearer \(api.key!)")).fields)
            #expect(bearer.status == 200)
        }
    }

    @Test("POST /api/v1/vms: 201 with the whole VM; GET returns the same VM")
    func create() async throws {
        try await withProbe { api, _ in
            let r = try await api.post(
                "/api/v1/vms",
                #"{"name":"web-1","flavor_id":"m1.small","image_id":"ubuntu-22.04","description":"front end","key_name":"ops","user_data":"runcmd: []","security_groups":["default"],"metadata":{"team":"web"}}"#
            )
            #expect(r.status == 201, "\(r.text)")
            let vm = r.json
            let keys: Set<String> = [
                "uuid", "name", "state", "state_description", "flavor_id", "image_id", "vcpus", "memory_mb", "disk_gb",
                "ip_address", "floating_ip", "description", "key_name", "openstack_id", "created_at", "updated_at",
                "launched_at", "terminated_at", "is_running", "is_stopped", "is_transitioning", "id", "status",
                "worker_id", "backend",
            ]
            #expect(Set(vm.keys) == keys)
            let uuid = try #require(vm["uuid"] as? String)
            #expect(uuid.range(of: Self.uuidPattern, options: .regularExpression) != nil)
            #expect(vm["id"] as? String == uuid)
            #expect(vm["name"] as? String == "web-1")
            #expect(vm["state"] as? String == "ACTIVE")
            #expect(vm["status"] as? String == "running")
            #expect(vm["flavor_id"] as? String == "m1.small")
            #expect(vm["image_id"] as? String == "ubuntu-22.04")
            #expect(vm["vcpus"] as? Int == 1)
            #expect(vm["memory_mb"] as? Int == 2048)
            #expect(vm["disk_gb"] as? Int == 20)
            #expect(vm["description"] as? String == "front end")
            #expect(vm["key_name"] as? String == "ops")
            for null in ["openstack_id", "ip_address", "floating_ip", "terminated_at", "state_description"] {
                #expect(vm[null] is NSNull, "\(null) should be null: \(r.text)")
            }
            #expect(vm["is_running"] as? Bool == true)
            #expect(vm["is_stopped"] as? Bool == false)
            #expect(vm["is_transitioning"] as? Bool == false)
            #expect(vm["worker_id"] as? String == "test-host")
            #expect(vm["backend"] as? String == "sim")
            #expect((vm["created_at"] as? String)?.hasSuffix("Z") == true)
            #expect((vm["launched_at"] as? String)?.hasSuffix("Z") == true)

            let got = try await api.get("/api/v1/vms/\(uuid)")
            #expect(got.status == 200)
            #expect(got.object(without: ["updated_at"]) == r.object(without: ["updated_at"]))
            // Upper-case uuids find the same VM.
            #expect(try await api.get("/api/v1/vms/\(uuid.uppercased())")["uuid"] == uuid)
        }
    }

    @Test("unknown flavor or image: 404 RESOURCE_NOT_FOUND; nothing is created")
    func unknownCatalogEntries() async throws {
        try await withProbe { api, _ in
            let flavor = try await api.post("/api/v1/vms", #"{"name":"a","flavor_id":"m9.huge","image_id":"ubuntu-22.04"}"#)
            expectBody(
                flavor, 404,
                #"{"error":"RESOURCE_NOT_FOUND","message":"Flavor m9.huge not found","details":{"resource_type":"Flavor","resource_id":"m9.huge"},"timestamp":""}"#
            )
            let image = try await api.post("/api/v1/vms", #"{"name":"a","flavor_id":"m1.tiny","image_id":"plan9"}"#)
            expectBody(
                image, 404,
                #"{"error":"RESOURCE_NOT_FOUND","message":"Image plan9 not found","details":{"resource_type":"Image","resource_id":"plan9"},"timestamp":""}"#
            )
            #expect(try await api.get("/api/v1/vms").json["total"] as? Int == 0)
        }
    }

    @Test("422 bodies for bad create input")
    func createValidation() async throws {
        try await withProbe { api, _ in
            let missing = try await api.post("/api/v1/vms", #"{"flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            #expect(missing.status == 422)
            #expect(
                missing.text
                    == #"{"detail":[{"input":{"flavor_id":"m1.tiny","image_id":"debian-12"},"loc":["body","name"],"msg":"Field required","type":"missing"}]}"#
            )
            let empty = try await api.post("/api/v1/vms", #"{"name":"","flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            #expect(
                empty.text
                    == #"{"detail":[{"input":"","loc":["body","name"],"msg":"String should have at least 1 character","type":"string_too_short"}]}"#
            )
            let long = String(repeating: "n", count: 256)
            let tooLong = try await api.post("/api/v1/vms", #"{"name":"\#(long)","flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            #expect(tooLong.status == 422)
            #expect(
                tooLong.text
                    == #"{"detail":[{"input":"\#(long)","loc":["body","name"],"msg":"String should have at most 255 characters","type":"string_too_long"}]}"#
            )
            let ok255 = try await api.post(
                "/api/v1/vms", #"{"name":"\#(String(repeating: "m", count: 255))","flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            #expect(ok255.status == 201)
            let description = String(repeating: "d", count: 1001)
            let longDescription = try await api.post(
                "/api/v1/vms", #"{"name":"d","flavor_id":"m1.tiny","image_id":"debian-12","description":"\#(description)"}"#)
            #expect(longDescription.status == 422)
            let issue = (longDescription.json["detail"] as? [[String: Any]])?.first
            #expect(issue?["type"] as? String == "string_too_long")
            #expect(issue?["loc"] as? [String] == ["body", "description"])
            #expect(issue?["msg"] as? String == "String should have at most 1000 characters")

            let several = try await api.post("/api/v1/vms", #"{"name":7,"image_id":"debian-12","metadata":{"backend":"vmware"}}"#)
            #expect(
                several.text
                    == #"{"detail":[{"input":7,"loc":["body","name"],"msg":"Input should be a valid string","type":"string_type"},{"input":{"image_id":"debian-12","metadata":{"backend":"vmware"},"name":7},"loc":["body","flavor_id"],"msg":"Field required","type":"missing"},{"input":"vmware","loc":["body","metadata","backend"],"msg":"Input should be 'kvm' or 'sim'","type":"enum"}]}"#
            )
            let malformed = try await api.post("/api/v1/vms", #"{"name": "#)
            #expect(malformed.text == #"{"detail":[{"input":{},"loc":["body"],"msg":"JSON decode error","type":"json_invalid"}]}"#)
            let notObject = try await api.post("/api/v1/vms", #"["a"]"#)
            #expect(notObject.status == 422)
            let noBody = try await api.call(.post, "/api/v1/vms")
            #expect(noBody.text == #"{"detail":[{"input":null,"loc":["body"],"msg":"Field required","type":"missing"}]}"#)
            let slash = try await api.post("/api/v1/vms", #"{"name":"a/b","flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            #expect(slash.status == 422)
            #expect(((slash.json["detail"] as? [[String: Any]])?.first?["loc"] as? [String]) == ["body", "name"])
            // Only the 255-character VM was made.
            #expect(try await api.get("/api/v1/vms").json["total"] as? Int == 1)
        }
    }

    @Test("a second VM with the same name: 409")
    func nameConflict() async throws {
        try await withProbe { api, _ in
            _ = try await api.createVM("twin")
            let again = try await api.post("/api/v1/vms", #"{"name":"twin","flavor_id":"m1.tiny","image_id":"debian-12"}"#)
            expectBody(
                again, 409,
                #"{"error":"NAME_CONFLICT","message":"An instance named twin already exists","details":{"name":"twin"},"timestamp":""}"#)
        }
    }

    @Test("GET /api/v1/vms: paging, newest first, state and name filters, deleted and containers left out")
    func list() async throws {
        try await withProbe { api, _ in
            var ids: [String] = []
            for i in 1...5 { ids.append(try await api.createVM("vm-\(i)")) }
            let first = try await api.get("/api/v1/vms?page_size=2")
            #expect(first.status == 200)
            #expect(first.json["total"] as? Int == 5)
            #expect(first.json["page"] as? Int == 1)
            #expect(first.json["page_size"] as? Int == 2)
            #expect(first.json["pages"] as? Int == 3)
            let items = try #require(first.json["items"] as? [[String: Any]])
            #expect(items.compactMap { $0["name"] as? String } == ["vm-5", "vm-4"])
            #expect(NSArray(array: first.json["vms"] as? [Any] ?? []) == NSArray(array: items))
            let last = try await api.get("/api/v1/vms?page=3&page_size=2")
            #expect((last.json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["vm-1"])
            let beyond = try await api.get("/api/v1/vms?page=4&page_size=2")
            #expect((beyond.json["items"] as? [Any])?.count == 0)
            #expect(beyond.json["pages"] as? Int == 3)
            let defaults = try await api.get("/api/v1/vms")
            #expect(defaults.json["page_size"] as? Int == 20)
            #expect(defaults.json["pages"] as? Int == 1)

            #expect(try await api.post("/api/v1/vms/\(ids[1])/stop", "{}").status == 200)
            let shutoff = try await api.get("/api/v1/vms?state=SHUTOFF")
            #expect((shutoff.json["items"] as? [[String: Any]])?.compactMap { $0["uuid"] as? String } == [ids[1]])
            let active = try await api.get("/api/v1/vms?state=ACTIVE")
            #expect(active.json["total"] as? Int == 4)
            let byName = try await api.get("/api/v1/vms?name=M-3")
            #expect((byName.json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["vm-3"])

            #expect(try await api.delete("/api/v1/vms/\(ids[0])").status == 200)
            _ = try await api.createSim("a-container")
            let after = try await api.get("/api/v1/vms")
            #expect(after.json["total"] as? Int == 4)
            #expect((after.json["items"] as? [[String: Any]])?.contains { $0["uuid"] as? String == ids[0] } == false)

            let empty = try await api.get("/api/v1/vms?name=nothing-like-this")
            #expect(empty.json["total"] as? Int == 0)
            #expect(empty.json["pages"] as? Int == 0)
        }
    }

    @Test("GET /api/v1/vms: 422 for bad paging and an unknown state")
    func listValidation() async throws {
        try await withProbe { api, _ in
            let big = try await api.get("/api/v1/vms?page_size=101")
            #expect(big.status == 422)
            #expect(
                big.text
                    == #"{"detail":[{"input":"101","loc":["query","page_size"],"msg":"Input should be less than or equal to 100","type":"less_than_equal"}]}"#
            )
            let zero = try await api.get("/api/v1/vms?page=0")
            #expect(
                zero.text
                    == #"{"detail":[{"input":"0","loc":["query","page"],"msg":"Input should be greater than or equal to 1","type":"greater_than_equal"}]}"#
            )
            let word = try await api.get("/api/v1/vms?page_size=abc")
            #expect(
                word.text
                    == #"{"detail":[{"input":"abc","loc":["query","page_size"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing"}]}"#
            )
            let bogus = try await api.get("/api/v1/vms?state=bogus")
            #expect(bogus.status == 422)
            #expect(
                bogus.text
                    == #"{"detail":[{"input":"bogus","loc":["query","state"],"msg":"Input should be 'BUILDING', 'ACTIVE', 'SHUTOFF', 'PAUSED', 'REBOOT', 'HARD_REBOOT', 'ERROR' or 'DELETED'","type":"enum"}]}"#
            )
            #expect(try await api.get("/api/v1/vms?page_size=100&page=1").status == 200)
        }
    }

    @Test("start, stop, reboot: action results and 409 INVALID_VM_STATE with its details")
    func actions() async throws {
        try await withProbe { api, _ in
            let id = try await api.createVM("act-1")
            func expectInvalid(
                _ verb: String, _ action: String, _ state: String, body: String = "{}", sourceLocation: SourceLocation = #_sourceLocation
            ) async throws {
                let r = try await api.post("/api/v1/vms/\(id)/\(verb)", body)
                expectBody(
                    r, 409,
                    #"{"error":"INVALID_VM_STATE","message":"Cannot \#(action) VM \#(id) in state \#(state)","details":{"vm_id":"\#(id)","current_state":"\#(state)","requested_action":"\#(action)"},"timestamp":""}"#,
                    sourceLocation: sourceLocation)
            }
            func expectResult(
                _ r: Reply, _ action: String, _ previous: String, _ current: String, _ message: String,
                sourceLocation: SourceLocation = #_sourceLocation
            ) {
                expectBody(
                    r, 200,
                    #"{"vm_uuid":"\#(id)","action":"\#(action)","status":"success","message":"\#(message)","previous_state":"\#(previous)","current_state":"\#(current)","timestamp":""}"#,
                    sourceLocation: sourceLocation)
            }
            try await expectInvalid("start", "start", "ACTIVE")
            expectResult(try await api.post("/api/v1/vms/\(id)/stop", ""), "stop", "ACTIVE", "SHUTOFF", "VM act-1 stopped")
            #expect(try await api.get("/api/v1/vms/\(id)")["state"] == "SHUTOFF")
            try await expectInvalid("stop", "stop", "SHUTOFF")
            try await expectInvalid("reboot", "reboot_soft", "SHUTOFF")
            try await expectInvalid("reboot", "reboot_hard", "SHUTOFF", body: #"{"reboot_type":"HARD"}"#)
            expectResult(try await api.post("/api/v1/vms/\(id)/start", ""), "start", "SHUTOFF", "ACTIVE", "VM act-1 started")
            expectResult(try await api.call(.post, "/api/v1/vms/\(id)/reboot"), "reboot_soft", "ACTIVE", "ACTIVE", "VM act-1 rebooted")
            expectResult(
                try await api.post("/api/v1/vms/\(id)/reboot", #"{"reboot_type":"SOFT"}"#), "reboot_soft", "ACTIVE", "ACTIVE",
                "VM act-1 rebooted")
            expectResult(
                try await api.post("/api/v1/vms/\(id)/reboot", #"{"reboot_type":"HARD"}"#), "reboot_hard", "ACTIVE", "ACTIVE",
                "VM act-1 hard rebooted")
            let warm = try await api.post("/api/v1/vms/\(id)/reboot", #"{"reboot_type":"WARM"}"#)
            #expect(
                warm.text
                    == #"{"detail":[{"input":"WARM","loc":["body","reboot_type"],"msg":"Input should be 'SOFT' or 'HARD'","type":"enum"}]}"#
            )
            let vm = try await api.get("/api/v1/vms/\(id)")
            #expect(vm["state"] == "ACTIVE")
            #expect(vm["status"] == "running")
        }
    }

    @Test("wait=false: 202 with the transitional state, HARD_REBOOT while a hard reboot runs")
    func asynchronous() async throws {
        try await withProbe { api, _ in
            let id = try await api.createVM("async-1")
            let r = try await api.post("/api/v1/vms/\(id)/reboot?wait=false", #"{"reboot_type":"HARD"}"#)
            #expect(r.status == 202, "\(r.text)")
            #expect(r["current_state"] == "HARD_REBOOT")
            #expect(r["status"] == "in_progress")
            try await eventually("the reboot ends", timeout: .seconds(5), every: .milliseconds(25)) {
                let state = try await api.get("/api/v1/vms/\(id)")["state"] ?? ""
                if state != "ACTIVE" { #expect(state == "HARD_REBOOT") }
                return state == "ACTIVE"
            }
            let soft = try await api.post("/api/v1/vms/\(id)/reboot?wait=false", "")
            #expect(soft["current_state"] == "REBOOT")
        }
    }

    @Test("DELETE: 200 with current_state DELETED; then GET and a second DELETE: 404 VM_NOT_FOUND")
    func delete() async throws {
        try await withProbe { api, _ in
            let id = try await api.createVM("doomed")
            let r = try await api.delete("/api/v1/vms/\(id)")
            expectBody(
                r, 200,
                #"{"vm_uuid":"\#(id)","action":"delete","status":"success","message":"VM doomed deleted","previous_state":"ACTIVE","current_state":"DELETED","timestamp":""}"#
            )
            let notFound = #"{"error":"VM_NOT_FOUND","message":"VM \#(id) not found","details":{"vm_id":"\#(id)"},"timestamp":""}"#
            expectBody(try await api.get("/api/v1/vms/\(id)"), 404, notFound)
            expectBody(try await api.delete("/api/v1/vms/\(id)"), 404, notFound)
            expectBody(try await api.post("/api/v1/vms/\(id)/start", ""), 404, notFound)
            expectBody(try await api.patch("/api/v1/vms/\(id)", #"{"name":"x"}"#), 404, notFound)
            // A stopped VM deletes as well, and its name is free again.
            let stopped = try await api.createVM("doomed")
            _ = try await api.post("/api/v1/vms/\(stopped)/stop", "")
            let second = try await api.delete("/api/v1/vms/\(stopped)")
            #expect(second["previous_state"] == "SHUTOFF")
            #expect(second["current_state"] == "DELETED")
            let unknown = "00000000-0000-0000-0000-000000000000"
            expectBody(
                try await api.get("/api/v1/vms/\(unknown)"), 404,
                #"{"error":"VM_NOT_FOUND","message":"VM \#(unknown) not found","details":{"vm_id":"\#(unknown)"},"timestamp":""}"#)
        }
    }

    @Test("PATCH: name and description; 409 for a taken name, 422 for bad values")
    func update() async throws {
        try await withProbe { api, _ in
            let id = try await api.createVM("old-name")
            _ = try await api.createVM("taken")
            let r = try await api.patch("/api/v1/vms/\(id)", #"{"name":"new-name","description":"now described"}"#)
            #expect(r.status == 200, "\(r.text)")
            #expect(r["name"] == "new-name")
            #expect(r["description"] == "now described")
            let got = try await api.get("/api/v1/vms/\(id)")
            #expect(got["name"] == "new-name")
            #expect(got["description"] == "now described")
            #expect(got["state"] == "ACTIVE")
            // Renamed everywhere: surface A finds it by the new name, and the old name is free.
            #expect(try await api.get("/api/v1/compute/instances/name/new-name")["id"] == id)
            _ = try await api.createVM("old-name")
            let conflict = try await api.patch("/api/v1/vms/\(id)", #"{"name":"taken"}"#)
            expectBody(
                conflict, 409,
                #"{"error":"NAME_CONFLICT","message":"An instance named taken already exists","details":{"name":"taken"},"timestamp":""}"#)
            let long = try await api.patch("/api/v1/vms/\(id)", #"{"description":"\#(String(repeating: "x", count: 1001))"}"#)
            #expect(long.status == 422)
            let emptyName = try await api.patch("/api/v1/vms/\(id)", #"{"name":""}"#)
            #expect(emptyName.status == 422)
            let same = try await api.patch("/api/v1/vms/\(id)", "{}")
            #expect(same["name"] == "new-name")
        }
    }

    @Test("POST /sync reads the backend's live state")
    func sync() async throws {
        try await withProbe { api, host in
            let id = try await api.createVM("synced")
            let backend = try #require(host.host.backends[.sim])
            // Stopped behind Flotilla's back; sync records it at once (the agent might too, a little later).
            try await backend.stop(id: id, force: true, timeout: .seconds(1))
            let r = try await api.post("/api/v1/vms/\(id)/sync", "")
            #expect(r.status == 200, "\(r.text)")
            #expect(r["uuid"] == id)
            #expect(r["state"] == "SHUTOFF")
            #expect(r["status"] == "stopped")
            #expect(r.json["is_stopped"] as? Bool == true)
            #expect(try await api.get("/api/v1/vms/\(id)")["state"] == "SHUTOFF")
            // In line with the backend: nothing changes.
            let again = try await api.post("/api/v1/vms/\(id)/sync", "")
            #expect(again["state"] == "SHUTOFF")
            let unknown = try await api.post("/api/v1/vms/00000000-0000-0000-0000-000000000000/sync", "")
            #expect(unknown.status == 404)
            #expect(unknown["error"] == "VM_NOT_FOUND")
        }
    }

    @Test("unknown routes and wrong methods answer in surface C's error shape")
    func routing() async throws {
        try await withProbe { api, _ in
            let wrongMethod = try await api.put("/api/v1/vms", "{}")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod["error"] == "METHOD_NOT_ALLOWED")
            let unknown = try await api.get("/api/v1/vms/x/y/z")
            #expect(unknown.status == 404)
            #expect(unknown["error"] == "NOT_FOUND")
            #expect(unknown.timestamp != nil)
        }
    }
}
