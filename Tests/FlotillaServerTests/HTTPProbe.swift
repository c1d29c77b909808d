import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// One HTTP exchange, with the body parsed as JSON where it is JSON.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPFields
    var text: String
    var json: [String: any Sendable] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: any Sendable]) ?? [:]
    }
    subscript(_ key: String) -> String? { json[key] as? String }
    var error: [String: any Sendable] { json["error"] as? [String: any Sendable] ?? [:] }
    var errorCode: String? { error["code"] as? String }
}

/// Drives a test host's router in-process through Hummingbird's test client.
struct HTTPProbe: Sendable {
    let client: any TestClientProtocol
    let key: String?

    func with(key: String?) -> HTTPProbe { HTTPProbe(client: client, key: key) }

    func call(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let key { headers[try #require(HTTPField.Name("X-API-Key"))] = key }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }
        ) { response in
            Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }
    }

    func get(_ path: String) async throws -> Reply { try await call(.get, path) }
    func post(_ path: String, _ json: String) async throws -> Reply { try await call(.post, path, json: json) }
    func put(_ path: String, _ json: String? = nil) async throws -> Reply { try await call(.put, path, json: json) }
    func delete(_ path: String) async throws -> Reply { try await call(.delete, path) }

    /// Creates a sim instance and returns its id.
    func createSim(_ name: String, labels: String = "{}", wait: Bool = true) async throws -> String {
        let r = try await post(
            "/api/v1/compute/instances\(wait ? "" : "?wait=false")",
            #"{"name":"\#(name)","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":1},"memory":{"limit":268435456}},"metadata":{"labels":\#(labels)}}"#
        )
        #expect(r.status == (wait ? 201 : 202), "\(r.text)")
        return try #require(r["id"])
    }
}

/// Runs `body` against a fresh test host with its services running.
func withProbe<T: Sendable>(
    dataDir: String? = nil, keepData: Bool = false, configure: @escaping @Sendable (inout HostConfiguration) -> Void = { _ in },
    _ body: @escaping @Sendable (HTTPProbe, TestHost) async throws -> T
) async throws -> T {
    try await TestHost.with(dataDir: dataDir, keepData: keepData, configure: configure) { host in
        let app = Application(router: host.host.router())
        let box = ResultBox<T>()
        try await app.test(.router) { client in
            box.value = try await body(HTTPProbe(client: client, key: host.adminKey), host)
        }
        return try #require(box.value)
    }
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    // Written once inside the test closure and read after it returns: no concurrent access.
    var value: T?
}
