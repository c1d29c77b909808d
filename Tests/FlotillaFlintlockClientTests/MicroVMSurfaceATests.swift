import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOFoundationCompat
import Testing

/// A MicroVM made through gRPC is an ordinary instance: surface A lists it as a vm the scheduler placed.
@Suite("Flintlock MicroVMs in surfaces A and D")
struct MicroVMSurfaceATests {
    /// The id of the instance behind MicroVM `team-a:api-1`, from surface A.
    func instanceId(_ client: some TestClientProtocol, _ f: FlintlockFixture) async throws -> String {
        try await client.execute(
            uri: "/api/v1/compute/instances/name/team-a:api-1", method: .get,
            headers: [try #require(HTTPField.Name("X-API-Key")): f.host.adminKey]
        ) { response in
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: any Sendable]
            return try #require(body?["id"] as? String)
        }
    }

    @Test("a MicroVM created over gRPC shows in /api/v1/compute/instances as a placed vm instance, and in /api/v2 status")
    func showsInSurfaceA() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            let created = try await f.client.createMicroVM(
                simSpec("api-1", namespace: "team-a", labels: ["tier": "api"]), metadata: f.admin
            ).microvm
            var getRequest = Microvm_Services_Api_V1alpha1_GetMicroVMRequest()
            getRequest.uid = created.spec.uid
            let get = getRequest
            try await eventuallyValue("CREATED", timeout: .seconds(60)) {
                try await f.client.getMicroVM(get, metadata: f.admin).microvm.status.state == .created ? true : nil
            }
            let app = Application(router: f.host.host.router())
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/api/v1/compute/instances", method: .get, headers: [try #require(HTTPField.Name("X-API-Key")): f.host.adminKey]
                ) { response in
                    #expect(response.status == .ok)
                    let body = try #require(
                        try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: any Sendable])
                    let instances = try #require(body["instances"] as? [[String: any Sendable]])
                    let mine = try #require(instances.first { $0["name"] as? String == "team-a:api-1" })
                    #expect(mine["type"] as? String == "vm")
                    #expect(mine["backend"] as? String == "sim")
                    #expect(mine["state"] as? String == "running")
                    #expect(mine["workerId"] as? String == "test-host", "placed by the scheduler on the only worker")
                    let metadata = try #require(mine["metadata"] as? [String: any Sendable])
                    #expect((metadata["labels"] as? [String: String])?["tier"] == "api")
                }
                // The global API sees the same instance, with live status from its host.
                try await client.execute(
                    uri: "/api/v2/vm/\(try await instanceId(client, f))/status", method: .get,
                    headers: [try #require(HTTPField.Name("X-API-Key")): f.host.adminKey]
                ) { response in
                    #expect(response.status == .ok)
                    let body = try #require(
                        try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: any Sendable])
                    #expect(body["name"] as? String == "team-a:api-1")
                    #expect(body["kind"] as? String == "vm")
                    #expect(body["state"] as? String == "running")
                    #expect((body["host"] as? [String: any Sendable])?["id"] as? String == "test-host")
                }
            }
        }
    }
}
