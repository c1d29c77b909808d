import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Surface E's gRPC port in the audit trail (ADR 0018): CreateMicroVM and DeleteMicroVM are recorded with the
/// caller's key, address and request id (sent back as `x-request-id`); a refused read is recorded, an allowed one
/// is not.
@Suite("Flintlock gRPC audit trail")
struct MicroVMAuditTests {
    static let service = "microvm.services.api.v1alpha1.MicroVM"

    /// The trail as an admin reads it from `GET /api/v2/audit`.
    static func trail(_ f: FlintlockFixture) async throws -> [[String: Any]] {
        let app = Application(router: f.host.host.router())
        let box = LockedBox<String>("")
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/v2/audit?limit=1000", method: .get, headers: [try #require(HTTPField.Name("X-API-Key")): f.host.adminKey]
            ) {
                response in
                #expect(response.status == .ok)
                box.withLock { $0 = String(buffer: response.body) }
            }
        }
        let json = try JSONSerialization.jsonObject(with: Data(box.value.utf8)) as? [String: Any]
        return json?["records"] as? [[String: Any]] ?? []
    }

    @Test("Create and Delete recorded with key, address, target and request id; a refused Get recorded; an allowed Get not")
    func recorded() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            var metadata = f.admin
            metadata.addString("grpc-create-1", forKey: "x-request-id")
            let (uid, echoed) = try await f.client.createMicroVM(simSpec("audited", namespace: "ns"), metadata: metadata) { response in
                (try response.message.microvm.spec.uid, response.metadata[stringValues: "x-request-id"].first { _ in true })
            }
            #expect(echoed == "grpc-create-1")
            var delete = MicroVMGRPCTests.Delete()
            delete.uid = uid
            var deleteMetadata = f.admin
            deleteMetadata.addString("grpc-delete-1", forKey: "x-request-id")
            _ = try await f.client.deleteMicroVM(delete, metadata: deleteMetadata)
            var get = MicroVMGRPCTests.Get()
            get.uid = uid
            var refused = FlintlockFixture.basic("flt_not_a_key_0123456789abcdef")
            refused.addString("grpc-refused-1", forKey: "x-request-id")
            #expect(await rpcCode { _ = try await f.client.getMicroVM(get, metadata: refused) } == .unauthenticated)
            var allowed = f.admin
            allowed.addString("grpc-get-1", forKey: "x-request-id")
            _ = await rpcCode { _ = try await f.client.getMicroVM(get, metadata: allowed) }

            let trail = try await Self.trail(f)
            func one(_ id: String) -> [String: Any]? {
                let found = trail.filter { $0["request_id"] as? String == id }
                #expect(found.count == 1, "\(id): \(found.count) records")
                return found.first
            }
            let create = try #require(one("grpc-create-1"))
            #expect(create["route"] as? String == "\(Self.service)/CreateMicroVM")
            #expect(create["surface"] as? String == "grpc" && create["method"] as? String == "RPC")
            #expect(create["status"] as? Int == 200 && create["role"] as? String == "admin" && create["key_id"] is String)
            #expect((create["remote_address"] as? String)?.hasPrefix("127.0.0.1:") == true, "\(create)")
            let deleted = try #require(one("grpc-delete-1"))
            #expect(deleted["route"] as? String == "\(Self.service)/DeleteMicroVM" && deleted["target_id"] as? String == uid)
            let refusal = try #require(one("grpc-refused-1"))
            #expect(refusal["status"] as? Int == 401 && refusal["route"] as? String == "\(Self.service)/GetMicroVM")
            #expect(!refusal.keys.contains("key_id"))
            #expect(!trail.contains { $0["request_id"] as? String == "grpc-get-1" })
        }
    }
}
