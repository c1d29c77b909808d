import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Surface E's HTTP gateway on a live socket: Flintlock's JSON routes under `/v1alpha1/microvm`.
@Suite("Flintlock HTTP gateway")
struct MicroVMGatewayTests {
    struct Reply: Sendable {
        var status: Int
        var text: String
        var json: [String: any Sendable] { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: any Sendable]) ?? [:] }
        var microvm: [String: any Sendable] { json["microvm"] as? [String: any Sendable] ?? [:] }
        var spec: [String: any Sendable] { microvm["spec"] as? [String: any Sendable] ?? [:] }
        var state: String? { (microvm["status"] as? [String: any Sendable])?["state"] as? String }
        var list: [[String: any Sendable]] { json["microvm"] as? [[String: any Sendable]] ?? [] }
    }

    struct Gateway: Sendable {
        let client: any TestClientProtocol
        let authorization: String?

        func call(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil) async throws -> Reply {
            var headers: HTTPFields = [:]
            if let authorization { headers[.authorization] = authorization }
            if body != nil { headers[.contentType] = "application/json" }
            return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                Reply(status: Int($0.status.code), text: String(buffer: $0.body))
            }
        }

        func with(_ authorization: String?) -> Gateway { Gateway(client: client, authorization: authorization) }
    }

    static func basic(_ key: String) -> String { "Basic " + Data(key.utf8).base64EncodedString() }

    static func withGateway(_ body: @escaping @Sendable (Gateway, TestHost) async throws -> Void) async throws {
        try await TestHost.with(configure: { $0.simLatency = .seconds(2) }) { host in
            let app = Application(router: host.host.router())
            try await app.test(.live) { client in
                try await body(Gateway(client: client, authorization: basic(host.adminKey)), host)
            }
        }
    }

    static func createBody(_ name: String, namespace: String) -> String {
        #"{"microvm":{"id":"\#(name)","namespace":"\#(namespace)","labels":{"tier":"web"},"memory_in_mb":512,"kernel":{"image":"ubuntu-22.04","cmdline":{"console":"ttyS0"}},"root_volume":{"id":"root","is_read_only":false,"source":{"container_source":"ubuntu:22.04"}},"provider":"sim"}}"#
    }

    @Test("POST -> GET by uid (PENDING, then CREATED) -> GET by namespace and name -> DELETE (DELETING, then 404)")
    func lifecycle() async throws {
        try await Self.withGateway { g, _ in
            let created = try await g.call(.post, "/v1alpha1/microvm", Self.createBody("web-1", namespace: "team-a"))
            #expect(created.status == 200, "\(created.text)")
            #expect(created.state == "PENDING")
            let uid = try #require(created.spec["uid"] as? String)
            #expect(ULID.isValid(uid))
            #expect(created.spec["memoryInMb"] as? Int == 512)
            #expect(created.spec["vcpu"] as? Int == 2)
            #expect(created.spec["labels"] as? [String: String] == ["tier": "web"])
            #expect(created.spec["allowGuestAgent"] as? Bool == false, "zero values are emitted")
            #expect(created.text.contains(#""rootVolume""#), "lowerCamelCase names")
            #expect((created.microvm["status"] as? [String: any Sendable])?["retry"] as? Int == 0)

            // A bare spec is accepted too, in camelCase.
            let bare = try await g.call(
                .post, "/v1alpha1/microvm",
                #"{"id":"db-1","namespace":"team-a","kernel":{"image":"ubuntu-22.04"},"provider":"sim","memoryInMb":256}"#)
            #expect(bare.status == 200, "\(bare.text)")
            #expect(bare.spec["memoryInMb"] as? Int == 256)

            #expect(try await g.call(.get, "/v1alpha1/microvm/\(uid)").state == "PENDING")
            try await eventuallyValue("CREATED", timeout: .seconds(60)) {
                try await g.call(.get, "/v1alpha1/microvm/\(uid)").state == "CREATED" ? true : nil
            }

            let byNamespace = try await g.call(.get, "/v1alpha1/microvm/team-a")
            #expect(byNamespace.status == 200)
            #expect(Set(byNamespace.list.compactMap { ($0["spec"] as? [String: any Sendable])?["id"] as? String }) == ["web-1", "db-1"])
            let byName = try await g.call(.get, "/v1alpha1/microvm/team-a?name=web-1")
            #expect(byName.list.compactMap { ($0["spec"] as? [String: any Sendable])?["uid"] as? String } == [uid])
            #expect(try await g.call(.get, "/v1alpha1/microvm/team-a?name=").list.count == 2, "an empty name is no filter")
            #expect(try await g.call(.get, "/v1alpha1/microvm").list.count == 2)
            #expect(try await g.call(.get, "/v1alpha1/microvm/nobody").list.isEmpty)

            let deleted = try await g.call(.delete, "/v1alpha1/microvm/\(uid)")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(try await g.call(.get, "/v1alpha1/microvm/\(uid)").state == "DELETING")
            let gone = try await eventuallyValue("404 after delete", timeout: .seconds(60)) {
                let r = try await g.call(.get, "/v1alpha1/microvm/\(uid)")
                return r.status == 404 ? r : nil
            }
            #expect(gone.json["code"] as? Int == 5)
        }
    }

    @Test("bad requests answer 400 or 404 with grpc-gateway's body; bad keys 401, readers 403")
    func badRequests() async throws {
        try await Self.withGateway { g, host in
            let cases: [(String, HTTPRequest.Method, String, String?, Int, Int)] = [
                ("no id", .post, "/v1alpha1/microvm", #"{"microvm":{"kernel":{"image":"ubuntu-22.04"},"provider":"sim"}}"#, 400, 3),
                (
                    "unknown image", .post, "/v1alpha1/microvm", #"{"microvm":{"id":"a","kernel":{"image":"nope"},"provider":"sim"}}"#, 404,
                    5
                ),
                ("malformed JSON", .post, "/v1alpha1/microvm", #"{"microvm":"#, 400, 3),
                ("enum name of the wrong type", .post, "/v1alpha1/microvm", #"{"microvm":{"id":"a","provider":7}}"#, 400, 3),
                ("wrong type", .post, "/v1alpha1/microvm", #"{"microvm":{"id":"a","vcpu":"many"}}"#, 400, 3),
                ("malformed uid", .delete, "/v1alpha1/microvm/not-a-ulid", nil, 400, 3),
                ("unknown uid", .get, "/v1alpha1/microvm/\(ULID().description)", nil, 404, 5),
                ("unknown uuid", .get, "/v1alpha1/microvm/\(UUID().uuidString)", nil, 404, 5),
                ("unknown uid delete", .delete, "/v1alpha1/microvm/\(ULID().description)", nil, 404, 5),
                ("wrong method", .put, "/v1alpha1/microvm", "{}", 405, 12),
                ("oversize body", .post, "/v1alpha1/microvm", String(repeating: " ", count: (1 << 20) + 1) + "{}", 413, 8),
            ]
            for (name, method, path, body, status, code) in cases {
                let r = try await g.call(method, path, body)
                #expect(r.status == status, "\(name): \(r.text)")
                #expect(r.json["code"] as? Int == code, "\(name): \(r.text)")
                #expect(r.json["message"] is String, "\(name)")
            }
            #expect(try await g.call(.get, "/v1alpha1/microvm").list.isEmpty, "nothing was created")

            let (_, reader) = try await host.host.keys.create(name: "reader", role: .reader)
            #expect(try await g.with(nil).call(.get, "/v1alpha1/microvm").status == 401)
            #expect(try await g.with(Self.basic("wrong")).call(.get, "/v1alpha1/microvm").json["code"] as? Int == 16)
            #expect(try await g.with(Self.basic(reader)).call(.get, "/v1alpha1/microvm").status == 200)
            #expect(try await g.with("Bearer \(reader)").call(.get, "/v1alpha1/microvm").status == 200)
            let denied = try await g.with(Self.basic(reader)).call(.post, "/v1alpha1/microvm", Self.createBody("r", namespace: "x"))
            #expect(denied.status == 403)
            #expect(denied.json["code"] as? Int == 7)
        }
    }

    @Test("unknown JSON fields are ignored, as grpc-gateway does: at the top and inside microvm")
    func unknownFields() async throws {
        try await Self.withGateway { g, _ in
            let body =
                #"{"futureTopLevel":{"x":1},"microvm":{"id":"new-1","namespace":"team-c","kernel":{"image":"ubuntu-22.04","futureKernelOption":true},"provider":"sim","futureField":["a"]}}"#
            let created = try await g.call(.post, "/v1alpha1/microvm", body)
            #expect(created.status == 200, "\(created.text)")
            #expect(created.spec["id"] as? String == "new-1")
            #expect(!created.text.contains("future"), "unknown fields are dropped, not kept")
            let bare = try await g.call(
                .post, "/v1alpha1/microvm", #"{"id":"new-2","namespace":"team-c","kernel":{"image":"ubuntu-22.04"},"provider":"sim","x":1}"#
            )
            #expect(bare.status == 200, "\(bare.text)")
            #expect(try await g.call(.get, "/v1alpha1/microvm/team-c").list.count == 2)
        }
    }
}
