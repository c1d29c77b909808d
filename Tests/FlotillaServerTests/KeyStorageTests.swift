import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import Testing

/// How API keys are kept and shown (ADR 0014): no part of a secret after creation, HMACs in the store, the
/// last admin key kept.
@Suite("API key storage")
struct KeyStorageTests {
    @Test("a listing shows an id and a fingerprint, never a fragment of a secret")
    func listShowsNoSecret() async throws {
        try await withProbe { api, _ in
            let created = try await api.post("/api/v1/keys", #"{"name":"ci","role":"operator"}"#)
            #expect(created.status == 201)
            let secret = try #require(created["key"])
            let id = try #require(created["id"])
            let list = try await api.get("/api/v1/keys")
            #expect(list.status == 200)
            for shown in [secret, TestHost.adminSecret] {
                #expect(!list.text.contains(String(shown.prefix(8))), "\(list.text)")
            }
            let keys = try #require(list.json["keys"] as? [[String: any Sendable]])
            #expect(keys.count == 2)
            for key in keys {
                #expect(key["prefix"] == nil, "\(key)")
                let fingerprint = try #require(key["fingerprint"] as? String, "\(key)")
                #expect(fingerprint.count == 8 && fingerprint.allSatisfy(\.isHexDigit), "\(fingerprint)")
            }
            let revoked = try await api.delete("/api/v1/keys/\(id)")
            #expect(revoked.status == 200)
            #expect(!revoked.text.contains(String(secret.prefix(8))), "\(revoked.text)")
        }
    }

    @Test("the last admin key cannot be revoked: 409, and it still works")
    func lastAdmin() async throws {
        try await withProbe { api, host in
            let admin = try #require(host.host.keys.list().first { $0.role == .admin })
            // A reader key is no admin: it does not keep the admin key revocable.
            #expect(try await api.post("/api/v1/keys", #"{"name":"ro","role":"reader"}"#).status == 201)
            let refused = try await api.delete("/api/v1/keys/\(admin.id)")
            #expect(refused.status == 409)
            #expect(
                refused.text
                    == #"{"error":{"code":"INVALID_STATE","details":{"id":"\#(admin.id)"},"message":"The last admin key cannot be revoked: create another admin key first"}}"#
            )
            #expect(try await api.get("/api/v1/keys").status == 200)

            // Two admin keys revoked at the same time: one wins, the other is the last one and stays.
            let second = try await api.post("/api/v1/keys", #"{"name":"second-admin","role":"admin"}"#)
            let secondId = try #require(second["id"])
            let secondSecret: String = try #require(second["key"])
            let secondKey = api.with(key: secondSecret)
            async let first = api.delete("/api/v1/keys/\(admin.id)")
            async let other = secondKey.delete("/api/v1/keys/\(secondId)")
            let (a, b) = try await (first, other)
            #expect([a.status, b.status].sorted() == [200, 409], "\(a.text) \(b.text)")
            let survivor = a.status == 409 ? api : secondKey
            #expect(try await survivor.get("/api/v1/keys").status == 200)
            #expect(host.host.keys.list().filter { $0.role == .admin }.count == 1)
        }
    }

    @Test(
        "revocation plans: who may go, and which revisions the change is compared on",
        arguments: [
            ("reader-1", ["admin-1", "reader-1"], "compared on reader-1"),
            ("admin-1", ["admin-1", "reader-1"], "409"),
            ("admin-1", ["admin-1", "admin-2", "reader-1"], "compared on admin-1 admin-2"),
            ("name-admin-2", ["admin-1", "admin-2"], "compared on admin-2 admin-1"),
            ("nobody", ["admin-1"], "404"),
        ])
    func revocationPlan(target: String, ids: [String], outcome: String) throws {
        let stored = ids.enumerated().map { index, id in
            KeyRevocation.Stored(
                storeKey: StoreKeys.apiKey(hash: "h-\(id)"),
                record: APIKeyRecord(
                    id: id, name: "name-\(id)", role: id.hasPrefix("admin") ? .admin : .reader, secretHash: "h-\(id)",
                    createdAt: Date(timeIntervalSince1970: 0)),
                modRevision: Revision(10 + index))
        }
        do {
            let (record, change) = try KeyRevocation.plan(target, among: stored, revokedAt: Date(timeIntervalSince1970: 5))
            let compared = change.compares.map { $0.key.replacingOccurrences(of: StoreKeys.apiKeys + "h-", with: "") }
            #expect("compared on " + compared.joined(separator: " ") == outcome)
            #expect(
                change.compares.allSatisfy { compare in stored.contains { Compare.unchanged($0.storeKey, since: $0.modRevision) == compare }
                })
            #expect(change.ops.first == .delete(key: StoreKeys.apiKey(hash: record.secretHash)))
            #expect(change.ops.count == 2)
        } catch {
            #expect(["409": FlotillaError.Code.invalidState, "404": .resourceNotFound][outcome] == error.code, "\(error)")
        }
    }

    @Test("a host started with another cluster secret than the one the store's keys were hashed with refuses to start")
    func otherClusterSecretRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-secret-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withProbe(dataDir: dir, keepData: true) { api, _ in
            let listed = try await api.get("/api/v1/keys")
            #expect(listed.status == 200)
        }
        let error = await #expect(throws: (any Error).self) {
            try await TestHost.with(dataDir: dir, keepData: true, configure: { $0.clusterSecret = "another-secret" }) { _ in }
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("another cluster secret"))
        // With its own secret (kept in the data folder) it starts again, and its keys work.
        try await withProbe(dataDir: dir, keepData: true) { api, _ in
            let listed = try await api.get("/api/v1/keys")
            #expect(listed.status == 200)
        }
    }

    @Test("a stored key is an HMAC under the cluster's secret, not the secret's SHA-256, and holds no part of it")
    func storedAsHMAC() async throws {
        try await withProbe { api, host in
            let created = try await api.post("/api/v1/keys", #"{"name":"stored","role":"reader"}"#)
            let secret = try #require(created["key"])
            let id = try #require(created["id"])
            let record = try #require(host.host.keys.list().first { $0.id == id })
            #expect(record.secretHash != Authenticator.digest(secret))
            let stored = try await host.host.store.range(prefix: StoreKeys.apiKeys).kvs
            #expect(stored.count == 2)
            for kv in stored {
                let text = String(decoding: kv.value, as: UTF8.self)
                for secret in [secret, TestHost.adminSecret] {
                    #expect(!kv.key.hasSuffix(Authenticator.digest(secret)))
                    #expect(!text.contains(Authenticator.digest(secret)))
                    #expect(!text.contains(String(secret.prefix(8))), "\(text)")
                }
            }
        }
    }

    @Test("a key stored as a plain SHA-256 before ADR 0014 still authenticates and is stored as an HMAC at the next start")
    func legacyRecordMigrated() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-legacy-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secret = "flt_legacy_key_abcdefghijklmnop0123"
        let sha = Authenticator.digest(secret)
        try await withProbe(dataDir: dir, keepData: true) { _, host in
            // The record as the previous release wrote it: under its SHA-256, with the secret's first characters.
            let legacy =
                #"{"createdAt":1700000000000,"id":"legacy-1","name":"legacy","prefix":"flt_lega","role":"operator","secretHash":"\#(sha)"}"#
            try await host.host.store.put(StoreKeys.apiKey(hash: sha), value: Data(legacy.utf8))
        }
        try await withProbe(dataDir: dir) { api, host in
            let legacyKey = api.with(key: secret)
            #expect(try await legacyKey.get("/api/v1/compute/instances").status == 200)
            #expect(try await legacyKey.post("/api/v1/keys", #"{"name":"x","role":"reader"}"#).status == 403)
            #expect(try await host.host.store.get(StoreKeys.apiKey(hash: sha)) == nil)
            let stored = try await host.host.store.range(prefix: StoreKeys.apiKeys).kvs
            let migrated = stored.filter { String(decoding: $0.value, as: UTF8.self).contains("legacy-1") }
            #expect(migrated.count == 1)
            for kv in migrated {
                let text = String(decoding: kv.value, as: UTF8.self)
                #expect(!text.contains(sha) && !text.contains("flt_lega"), "\(text)")
            }
            let record = try #require(host.host.keys.list().first { $0.id == "legacy-1" })
            #expect(record.name == "legacy" && record.role == .operator)
            #expect(record.secretHash != sha)
        }
    }
}
