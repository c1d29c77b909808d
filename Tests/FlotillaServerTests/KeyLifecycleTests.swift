import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaServer

/// Issue 14, deliver 7 (ADR 0019): keys expire, record their last use, and rotate.
@Suite("Key lifecycle: expiry, last use, rotation")
struct KeyLifecycleTests {
    /// A reader path of each surface (D answers in A's format).
    static let surfaces: [(name: String, path: String)] = [
        ("A", "/api/v1/compute/instances"), ("B", "/api/v1/workers"), ("C", "/api/v1/vms"), ("D", "/api/v2/vms"),
        ("E", "/v1alpha1/microvm"),
    ]

    /// Creates a key with the admin key; returns its id and secret.
    static func createKey(_ api: HTTPProbe, _ name: String, role: String = "reader", extra: String = "") async throws -> (
        id: String, secret: String
    ) {
        let r = try await api.post("/api/v1/keys", #"{"name":"\#(name)","role":"\#(role)"\#(extra)}"#)
        #expect(r.status == 201, "\(r.text)")
        return (try #require(r["id"]), try #require(r["key"]))
    }

    /// The listing entry of the key `id`.
    static func listed(_ api: HTTPProbe, _ id: String) async throws -> [String: any Sendable]? {
        let keys = try await api.get("/api/v1/keys").json["keys"] as? [[String: any Sendable]] ?? []
        return keys.first { $0["id"] as? String == id }
    }

    /// Checks a 401 for an expired key in the surface's own error format.
    static func expectExpired(_ reply: Reply, surface: String, path: String) {
        #expect(reply.status == 401, "\(surface) \(path): \(reply.status) \(reply.text)")
        #expect(reply.headers[HTTPField.Name(constant: "X-Flotilla-Revision")] == nil, "\(surface): a 401 tells no revision")
        let json = reply.json
        switch surface {
        case "A", "D":
            #expect(reply.errorCode == "UNAUTHORIZED", "\(surface): \(reply.text)")
            #expect(reply.error["message"] as? String == "This API key has expired", "\(surface): \(reply.text)")
        case "B":
            #expect(json["error"] as? String == "Unauthorized" && json["code"] as? Int == 401, "\(surface): \(reply.text)")
            #expect(json["message"] as? String == "This API key has expired", "\(surface): \(reply.text)")
        case "C":
            let detail = json["detail"] as? [String: any Sendable] ?? [:]
            #expect(detail["error"] as? String == "AUTHENTICATION_ERROR", "\(surface): \(reply.text)")
            #expect(detail["message"] as? String == "API key has expired", "\(surface): \(reply.text)")
            #expect((detail["details"] as? String)?.hasPrefix("The provided API key expired at ") == true, "\(reply.text)")
        default:
            #expect(json["code"] as? Int == 16, "\(surface): grpc-gateway's UNAUTHENTICATED: \(reply.text)")
            #expect(json["message"] as? String == "This API key has expired", "\(surface): \(reply.text)")
        }
        #expect(!reply.text.contains("flt_"), "no secret in an error body")
    }

    @Test("an expired key answers 401 on surfaces A, B, C, D and E's gateway, each in its own format")
    func expiredEverywhere() async throws {
        try await withProbe { api, _ in
            let key = try await Self.createKey(api, "soon-gone")
            let holder = api.with(key: key.secret)
            for (surface, path) in Self.surfaces {
                let before = try await holder.get(path)
                #expect(before.status == 200, "\(surface) \(path) before expiry: \(before.status) \(before.text)")
            }
            // Grace 0: the old key stops at once.
            let rotated = try await api.post("/api/v1/keys/\(key.id)/rotate", #"{"grace":0}"#)
            #expect(rotated.status == 201, "\(rotated.text)")
            for (surface, path) in Self.surfaces {
                Self.expectExpired(try await holder.get(path), surface: surface, path: path)
            }
            let entry = try #require(try await Self.listed(api, key.id))
            #expect(entry["expired"] as? Bool == true, "the listing says it expired: \(entry)")
        }
    }

    @Test("a key created with an expiry works until then and answers 401 after")
    func createdWithExpiry() async throws {
        try await withProbe { api, _ in
            // 15 s: room for the create and the first use on a loaded machine.
            let expiresAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(15))
            let key = try await Self.createKey(api, "short-lived", extra: #","expiresAt":"\#(expiresAt)""#)
            let entry = try #require(try await Self.listed(api, key.id))
            #expect(entry["expiresAt"] as? String == expiresAt)
            #expect(entry["expired"] as? Bool == false)
            let holder = api.with(key: key.secret)
            #expect(try await holder.get("/api/v1/compute/instances").status == 200)
            // Polled, with a cap far above the 15 s it takes, for a loaded machine.
            try await eventually("the key expires", timeout: .seconds(60), every: .milliseconds(250)) {
                try await holder.get("/api/v1/compute/instances").status == 401
            }
        }
    }

    @Test("a create with an expiry in the past, too far ahead or not RFC 3339 answers 400 and stores nothing")
    func createRefusesBadExpiry() async throws {
        try await withProbe { api, host in
            let before = host.host.keys.list().count
            let past = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
            let far = ISO8601DateFormatter().string(from: Date().addingTimeInterval(6 * 366 * 86_400))
            for (value, message) in [(past, "expiresAt must be in the future"), (far, "expiresAt must be at most 5 years ahead")] {
                let r = try await api.post("/api/v1/keys", #"{"name":"bad","role":"reader","expiresAt":"\#(value)"}"#)
                #expect(r.status == 400, "\(value): \(r.text)")
                #expect(r.errorCode == "VALIDATION_ERROR")
                #expect(r.error["message"] as? String == message, "\(r.text)")
                #expect((r.error["details"] as? [String: any Sendable])?["field"] as? String == "expiresAt", "\(r.text)")
            }
            let malformed = try await api.post("/api/v1/keys", #"{"name":"bad","role":"reader","expiresAt":"tomorrow"}"#)
            #expect(malformed.status == 400 && malformed.errorCode == "VALIDATION_ERROR", "\(malformed.text)")
            #expect(host.host.keys.list().count == before)
        }
    }

    @Test("rotation: both keys listed, the old one works until its grace ends then 401, the new one works")
    func rotation() async throws {
        try await withProbe { api, _ in
            let old = try await Self.createKey(api, "ci", role: "operator")
            let r = try await api.post("/api/v1/keys/ci/rotate", #"{"grace":3}"#)
            #expect(r.status == 201, "\(r.text)")
            let created = try #require(r.json["key"] as? [String: any Sendable])
            let rotated = try #require(r.json["rotated"] as? [String: any Sendable])
            let newSecret = try #require(created["key"] as? String)
            let newId = try #require(created["id"] as? String)
            #expect(created["name"] as? String == "ci-r2")
            #expect(created["role"] as? String == "operator")
            #expect(created["rotatedFrom"] as? String == old.id)
            #expect(rotated["id"] as? String == old.id && rotated["rotatedTo"] as? String == newId)
            #expect(rotated["expiresAt"] != nil && rotated["key"] == nil, "the old secret is never shown again")

            let listing = try await api.get("/api/v1/keys")
            let ids = (listing.json["keys"] as? [[String: any Sendable]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.contains(old.id) && ids.contains(newId), "both keys are listed: \(listing.text)")
            #expect(!listing.text.contains(newSecret) && !listing.text.contains(old.secret))

            let oldHolder = api.with(key: old.secret)
            let newHolder = api.with(key: newSecret)
            #expect(try await oldHolder.get("/api/v1/compute/instances").status == 200, "the old key works during its grace")
            #expect(try await newHolder.get("/api/v1/compute/instances").status == 200)
            // Polled, with a cap far above the 3 s grace, for a loaded machine.
            try await eventually("the old key's grace ends", timeout: .seconds(30), every: .milliseconds(250)) {
                try await oldHolder.get("/api/v1/compute/instances").status == 401
            }
            #expect(try await newHolder.get("/api/v1/compute/instances").status == 200, "the new key keeps working")

            // Rotating what is not there, or with a bad grace.
            #expect(try await api.post("/api/v1/keys/nope/rotate", "{}").status == 404)
            let bad = try await api.post("/api/v1/keys/\(newId)/rotate", #"{"grace":-1}"#)
            #expect(bad.status == 400 && bad.errorCode == "VALIDATION_ERROR", "\(bad.text)")
        }
    }

    @Test("the only admin key rotates into an admin key: the cluster keeps one")
    func adminRotation() async throws {
        try await withProbe { api, host in
            let r = try await api.call(.post, "/api/v1/keys/bootstrap/rotate")
            #expect(r.status == 201, "\(r.text)")
            let created = try #require(r.json["key"] as? [String: any Sendable])
            #expect(created["role"] as? String == "admin")
            let newAdmin = api.with(key: try #require(created["key"] as? String))
            #expect(try await newAdmin.get("/api/v1/keys").status == 200)
            #expect(host.host.keys.list().filter { $0.role == .admin }.count == 2)
        }
    }

    @Test("a key's last use is recorded after it is used")
    func lastUsed() async throws {
        try await withProbe { api, _ in
            let key = try await Self.createKey(api, "watched")
            #expect(try await Self.listed(api, key.id)?["lastUsedAt"] == nil, "never used yet")
            let started = Date()
            #expect(try await api.with(key: key.secret).get("/api/v1/workers").status == 200)
            try await eventually("lastUsedAt is recorded", timeout: .seconds(30), every: .milliseconds(200)) {
                try await Self.listed(api, key.id)?["lastUsedAt"] != nil
            }
            let text = try #require(try await Self.listed(api, key.id)?["lastUsedAt"] as? String)
            let when = try #require(ISO8601DateFormatter().date(from: text))
            #expect(when >= started.addingTimeInterval(-1) && when <= Date().addingTimeInterval(1), "\(text)")
        }
    }
}
