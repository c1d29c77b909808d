import FlotillaCore
import FlotillaTestSupport
import Foundation
import Hummingbird
import Testing

/// Surface D on one in-process host: the global list, records, creates with placement, actions, paging.
@Suite("Surface D: /api/v2/vms")
struct GlobalRoutesTests {
    static func createBody(_ name: String, labels: String = "{}", placement: String = "null") -> String {
        #"{"name":"\#(name)","backend":"sim","image":"busybox","resources":{"cpu_cores":0.5,"memory_mb":64},"labels":\#(labels),"placement":\#(placement)}"#
    }

    @Test("create answers 202 with the record, then 201 with wait=running; get, list filters, actions, delete")
    func lifecycle() async throws {
        try await withProbe { probe, _ in
            let accepted = try await probe.post("/api/v2/vms", Self.createBody("d-one", labels: #"{"tier":"web"}"#))
            #expect(accepted.status == 202, "\(accepted.text)")
            let id = try #require(accepted["id"])
            let running = try await probe.post("/api/v2/vms?wait=running", Self.createBody("d-two", labels: #"{"tier":"db"}"#))
            #expect(running.status == 201, "\(running.text)")
            let observed = running.json["observed"] as? [String: Any]
            #expect(observed?["state"] as? String == "running")
            #expect((running.json["host"] as? [String: Any])?["id"] as? String == "test-host")
            let revisions = try #require(running.json["revisions"] as? [String: Any])
            #expect((revisions["modified"] as? Int ?? 0) >= (revisions["created"] as? Int ?? 0))

            let got = try await probe.get("/api/v2/vms/\(id)")
            #expect(got.status == 200)
            #expect((got.json["spec"] as? [String: Any])?["image"] as? String == "busybox")
            #expect(got.json["desired"] as? String == "running")

            let web = try await probe.get("/api/v2/vms?label=tier=web")
            #expect((web.json["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["d-one"])
            let notWeb = try await probe.get("/api/v2/vms?label=tier!=web&host=test-host&backend=sim&kind=container")
            #expect((notWeb.json["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["d-two"])

            let runningId = try #require(running["id"])
            let stop = try await probe.post("/api/v2/vms/\(runningId)/stop?wait=true", "")
            #expect(stop.status == 200, "\(stop.text)")
            #expect((stop.json["observed"] as? [String: Any])?["state"] as? String == "stopped")
            let again = try await probe.post("/api/v2/vms/\(runningId)/stop", "")
            #expect(again.status == 409)
            #expect(again.errorCode == "INVALID_STATE")
            let stopped = try await probe.get("/api/v2/vms?state=stopped")
            #expect((stopped.json["items"] as? [[String: Any]])?.count == 1)

            let deleted = try await probe.delete("/api/v2/vms/\(runningId)")
            #expect([200, 202].contains(deleted.status), "\(deleted.text)")
            let settle = try await probe.get("/api/v2/vms/\(runningId)")
            #expect([200, 404].contains(settle.status))
        }
    }

    @Test("migrate with no other host to take the instance: 409, and the instance keeps running where it was")
    func migrateNowhere() async throws {
        try await withProbe { probe, _ in
            let created = try await probe.post("/api/v2/vms?wait=running", Self.createBody("stay"))
            let id = try #require(created["id"])
            let r = try await probe.post("/api/v2/vms/\(id)/migrate", "")
            #expect(r.status == 409, "\(r.text)")
            #expect(r.errorCode == "RESOURCE_LIMIT_EXCEEDED")
            let after = try await probe.get("/api/v2/vms/\(id)")
            #expect((after.json["observed"] as? [String: Any])?["state"] as? String == "running")
            #expect((after.json["host"] as? [String: Any])?["id"] as? String == "test-host")
            let unknown = try await probe.post("/api/v2/vms/\(UUID().uuidString.lowercased())/migrate", "")
            #expect(unknown.status == 404)
        }
    }

    @Test("cursor paging walks every instance once; a bad cursor or limit is a clear 400 in surface A's shape")
    func paging() async throws {
        try await withProbe { probe, _ in
            var made: [String] = []
            for i in 0..<5 {
                let r = try await probe.post("/api/v2/vms", Self.createBody("page-\(i)"))
                made.append(try #require(r["id"]))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let r = try await probe.get("/api/v2/vms?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(r.status == 200, "\(r.text)")
                seen += (r.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = r.json["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.count == made.count)
            #expect(Set(seen) == Set(made))

            for bad in [
                "cursor=not-a-cursor", "cursor=djE6eDp5", "limit=0", "limit=501", "limit=abc", "state=sideways", "backend=vmware",
                "label=,",
            ] {
                let r = try await probe.get("/api/v2/vms?\(bad)")
                #expect(r.status == 400, "\(bad): \(r.text)")
                #expect(["VALIDATION_ERROR", "INVALID_BACKEND"].contains(r.errorCode), "\(bad)")
            }
        }
    }

    @Test("bad creates change nothing: malformed JSON, unknown strategy, unknown backend, missing image")
    func badCreates() async throws {
        try await withProbe { probe, _ in
            for body in [
                "{", #"{"name":"x","backend":"sim"}"#, Self.createBody("x", placement: #"{"strategy":"random"}"#),
                #"{"name":"x","backend":"vmware","image":"busybox"}"#,
            ] {
                let r = try await probe.post("/api/v2/vms", body)
                #expect(r.status == 400, "\(body): \(r.text)")
                #expect(r.error["message"] as? String != nil)
            }
            let list = try await probe.get("/api/v2/vms")
            #expect((list.json["items"] as? [Any])?.isEmpty == true)
            let missing = try await probe.get("/api/v2/vms/\(UUID().uuidString.lowercased())")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "INSTANCE_NOT_FOUND")
        }
    }
}
