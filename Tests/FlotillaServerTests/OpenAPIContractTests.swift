import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import FlotillaServer

/// `/openapi.json` against what the server registers and sends: every route of the ``RouteTable`` has an operation
/// whose responses list every status it sends with a schema for every body, and live responses conform.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    /// The served document, parsed.
    struct Document {
        let paths: [String: JSONValue]
        let components: [String: JSONValue]

        init(_ reply: Reply) throws {
            let root = try JSONDecoder().decode(JSONValue.self, from: Data(reply.text.utf8))
            paths = try #require(root.field("paths")?.members)
            components = try #require(root.field("components")?.field("schemas")?.members)
        }

        func operation(_ method: String, _ pattern: String) -> JSONValue? {
            paths[OpenAPIDocument.openAPIPath(pattern)]?.field(method.lowercased())
        }

        /// The documented statuses of an operation.
        func statuses(_ method: String, _ pattern: String) -> Set<Int> {
            Set((operation(method, pattern)?.field("responses")?.members ?? [:]).keys.compactMap { Int($0) })
        }
    }

    static func path(_ entry: RouteEntry) -> String { OpenAPIDocument.openAPIPath(entry.path) }

    @Test("/openapi.json is OpenAPI 3.1 and its paths and methods are exactly the routes the server registers")
    func matchesRoutes() async throws {
        try await withProbe { probe, host in
            let r = try await probe.get("/openapi.json")
            #expect(r.status == 200)
            #expect(r["openapi"] == "3.1.0")
            let doc = try Document(r)
            var documented = Set<String>()
            for (path, item) in doc.paths {
                for method in (item.members ?? [:]).keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            let registered = Set(host.host.routes.all.map { "\($0.method.rawValue) \(Self.path($0))" })
            #expect(documented.subtracting(registered).isEmpty, "documented, not served: \(documented.subtracting(registered).sorted())")
            #expect(registered.subtracting(documented).isEmpty, "served, not documented: \(registered.subtracting(documented).sorted())")
        }
    }

    @Test("every route's operation lists its 2xx and error statuses, each with a schema, and no catch-all default")
    func everyRouteHasResponses() async throws {
        try await withProbe { probe, host in
            let doc = try Document(try await probe.get("/openapi.json"))
            let check = JSONSchemaCheck(components: doc.components)
            for entry in host.host.routes.all {
                let name = "\(entry.method) \(entry.path)"
                let op = try #require(doc.operation(entry.method.rawValue, entry.path), "\(name) is not documented")
                let responses = op.field("responses")?.members ?? [:]
                #expect(responses["default"] == nil, "\(name) has a catch-all default")
                let statuses = doc.statuses(entry.method.rawValue, entry.path)
                #expect(statuses.contains { (200..<300).contains($0) }, "\(name) documents no 2xx")
                for (status, response) in responses {
                    let content = response.field("content")?.members ?? [:]
                    #expect(!content.isEmpty, "\(name) \(status) has no body")
                    for (type, media) in content {
                        let schema = try #require(media.field("schema"), "\(name) \(status) \(type) has no schema")
                        // Every $ref resolves: a schema that checks nothing would pass any body.
                        #expect(check.problems(.null, schema).allSatisfy { !$0.contains("unknown") }, "\(name) \(status)")
                        if type == "application/json" {
                            #expect(schema.field("$ref") != nil || schema.field("anyOf") != nil, "\(name) \(status): not a named schema")
                        }
                    }
                }
                // The credential the route checks, and the statuses that follow from it.
                let security = op.field("security")?.list ?? []
                let surface = Surface.of(path: entry.path)
                if entry.cluster {
                    #expect(op.field("x-internal") == .bool(true), "\(name)")
                    #expect(security.first?.members?.keys.first == "cluster", "\(name)")
                    #expect(statuses.isSuperset(of: [401, 403]), "\(name): a client key is refused")
                } else if let permission = entry.permission {
                    #expect(op.field("x-minimum-role") == .string(permission.minimumRole.rawValue), "\(name)")
                    #expect(statuses.contains(401), "\(name) needs a key: 401")
                    #expect(statuses.contains(403) == (permission.minimumRole != .reader), "\(name): 403 when a weaker role calls it")
                } else {
                    #expect(security.isEmpty, "\(name) is open")
                    #expect(!statuses.contains(401) && !statuses.contains(403), "\(name) is open")
                }
                #expect(statuses.contains(surface == .vms ? 422 : 400), "\(name): the surface's refusal status")
                if entry.path.contains(":") { #expect(statuses.contains(404), "\(name) names a resource: 404") }
                #expect(statuses.contains(413) == (op.field("requestBody") != nil), "\(name): 413 exactly when it takes a body")
                if entry.method == .get { #expect(statuses.contains(504), "\(name): min_revision can time out") }
                #expect(!statuses.contains(500), "\(name): a 500 is never part of the contract")
            }
        }
    }

    @Test("no schema is a bare object: each object names its properties or its values")
    func schemasAreTyped() async throws {
        try await withProbe { probe, _ in
            let doc = try Document(try await probe.get("/openapi.json"))
            for (name, schema) in doc.components {
                for (path, object) in Self.objects(in: schema, at: name) {
                    #expect(object["properties"] != nil || object["additionalProperties"] != nil, "\(path) is a bare object")
                }
            }
            // Typed query parameters: booleans and integers say so, with bounds.
            let wait = doc.operation("POST", "/api/v1/compute/instances")?.field("parameters")?.list?
                .first { $0.field("name") == "wait" }
            #expect(wait?.field("schema")?.field("type") == "boolean")
            let pageSize = doc.operation("GET", "/api/v1/vms")?.field("parameters")?.list?.first { $0.field("name") == "page_size" }
            #expect(pageSize?.field("schema")?.field("maximum") == .int(100))
        }
    }

    static func objects(in schema: JSONValue, at path: String) -> [(String, [String: JSONValue])] {
        guard let o = schema.members else { return schema.list?.enumerated().flatMap { objects(in: $1, at: "\(path)[\($0)]") } ?? [] }
        var found: [(String, [String: JSONValue])] = o["type"] == "object" ? [(path, o)] : []
        for (key, value) in o { found += objects(in: value, at: "\(path).\(key)") }
        return found
    }

    @Test("live answers of every surface, 2xx variants included, have a documented status and conform to its schema")
    func liveResponsesConform() async throws {
        try await withProbe { probe, host in
            let doc = try Document(try await probe.get("/openapi.json"))
            let check = JSONSchemaCheck(components: doc.components)
            var seen = 0
            func conform(
                _ method: HTTPRequest.Method, _ path: String, _ pattern: String, json: String? = nil, headers: HTTPFields = [:],
                key: String? = host.adminKey
            ) async throws -> Reply {
                let reply = try await probe.with(key: key).call(method, path, json: json, headers: headers)
                let name = "\(method) \(path) -> \(reply.status)"
                let response = doc.operation(method.rawValue, pattern)?.field("responses")?.field(String(reply.status))
                guard let schema = response?.field("content")?.field("application/json")?.field("schema") else {
                    Issue.record("\(name) is not documented: \(reply.text.prefix(300))")
                    return reply
                }
                let body = try JSONDecoder().decode(JSONValue.self, from: Data(reply.text.utf8))
                let problems = check.problems(body, schema)
                #expect(problems.isEmpty, "\(name): \(problems.prefix(5)) in \(reply.text.prefix(400))")
                seen += 1
                return reply
            }
            let idem = HTTPFields([HTTPField(name: .idempotencyKey, value: "contract-1")])

            // Surface A: 202 (wait=false), 201 (settled), 200 (Idempotency-Key replay), actions, errors.
            let body = #"{"name":"ct-a","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":1}}}"#
            let a = try await conform(.post, "/api/v1/compute/instances?wait=false", "/api/v1/compute/instances", json: body)
            #expect(a.status == 202)
            let a2 = try await conform(
                .post, "/api/v1/compute/instances", "/api/v1/compute/instances", json: body.replacingOccurrences(of: "ct-a", with: "ct-b"),
                headers: idem)
            #expect(a2.status == 201)
            let replay = try await conform(
                .post, "/api/v1/compute/instances", "/api/v1/compute/instances", json: body.replacingOccurrences(of: "ct-a", with: "ct-b"),
                headers: idem)
            #expect(replay.status == 200)
            let id = try #require(a2["id"])
            let i = "/api/v1/compute/instances/:id"
            _ = try await conform(.get, "/api/v1/compute/instances?pageSize=5", "/api/v1/compute/instances")
            _ = try await conform(.get, "/api/v1/compute/instances/\(id)", i)
            _ = try await conform(.get, "/api/v1/compute/instances/name/ct-b", "/api/v1/compute/instances/name/:name")
            _ = try await conform(.put, "/api/v1/compute/instances/\(id)", i, json: #"{"metadata":{"labels":{"a":"b"}}}"#)
            _ = try await conform(.get, "/api/v1/compute/instances/\(id)/usage", "\(i)/usage")
            _ = try await conform(.get, "/api/v1/compute/instances/\(id)/console", "\(i)/console")
            _ = try await conform(.put, "/api/v1/compute/instances/\(id)/stop?wait=false", "\(i)/stop")
            _ = try await conform(.put, "/api/v1/compute/instances/\(id)/stop", "\(i)/stop")
            _ = try await conform(.put, "/api/v1/compute/instances/\(id)/pause", "\(i)/pause")
            _ = try await conform(.get, "/api/v1/compute/cluster/status", "/api/v1/compute/cluster/status")
            _ = try await conform(.get, "/api/v1/compute/backends/sim/info", "/api/v1/compute/backends/:backend/info")
            _ = try await conform(.get, "/api/v1/compute/instances/nope", i)
            _ = try await conform(.get, "/api/v1/compute/instances?page=0", "/api/v1/compute/instances")
            for (path, pattern) in [
                ("/api/v1/compute/instances", "/api/v1/compute/instances"), ("/api/v1/vms", "/api/v1/vms"),
                ("/api/v1/workers", "/api/v1/workers"), ("/v1alpha1/microvm", "/v1alpha1/microvm"), ("/api/v2/vms", "/api/v2/vms"),
            ] {
                #expect(try await conform(.get, path, pattern, key: nil).status == 401)
                #expect(try await conform(.get, path, pattern, key: "wrong").status == 401)
            }
            _ = try await conform(.delete, "/api/v1/compute/instances/\(id)", i)

            // Keys and operations.
            let key = try await conform(.post, "/api/v1/keys", "/api/v1/keys", json: #"{"name":"ct-reader","role":"reader"}"#)
            _ = try await conform(.get, "/api/v1/keys", "/api/v1/keys")
            _ = try await conform(.delete, "/api/v1/keys/\(try #require(key["id"]))", "/api/v1/keys/:id")
            _ = try await conform(.get, "/health", "/health")

            // Surface C: 201, 202, 200 (replay), actions, catalog, 422, 404.
            let vm = #"{"name":"ct-vm","flavor_id":"m1.small","image_id":"ubuntu-22.04"}"#
            let c = try await conform(.post, "/api/v1/vms", "/api/v1/vms", json: vm, headers: idem)
            #expect(c.status == 201)
            _ = try await conform(.post, "/api/v1/vms", "/api/v1/vms", json: vm, headers: idem)
            _ = try await conform(
                .post, "/api/v1/vms?wait=false", "/api/v1/vms", json: vm.replacingOccurrences(of: "ct-vm", with: "ct-vm2"))
            let uuid = try #require(c["uuid"])
            let v = "/api/v1/vms/:uuid"
            _ = try await conform(.get, "/api/v1/vms?page_size=5", "/api/v1/vms")
            _ = try await conform(.get, "/api/v1/vms/\(uuid)", v)
            _ = try await conform(.patch, "/api/v1/vms/\(uuid)", v, json: #"{"description":"d"}"#)
            _ = try await conform(.post, "/api/v1/vms/\(uuid)/sync", "\(v)/sync")
            _ = try await conform(.post, "/api/v1/vms/\(uuid)/stop", "\(v)/stop")
            _ = try await conform(.post, "/api/v1/vms/\(uuid)/stop", "\(v)/stop")
            _ = try await conform(.post, "/api/v1/vms/\(uuid)/start?wait=false", "\(v)/start")
            _ = try await conform(.post, "/api/v1/vms/\(uuid)/reboot", "\(v)/reboot", json: #"{"reboot_type":"HARD"}"#)
            _ = try await conform(.get, "/api/v1/vms?page_size=0", "/api/v1/vms")
            _ = try await conform(.get, "/api/v1/vms/nope", v)
            _ = try await conform(.delete, "/api/v1/vms/\(uuid)", v)
            _ = try await conform(.get, "/api/v1/health", "/api/v1/health")
            _ = try await conform(.get, "/api/v1/", "/api/v1/")
            _ = try await conform(.get, "/api/v1/flavors", "/api/v1/flavors")
            _ = try await conform(.get, "/api/v1/flavors/m1.small", "/api/v1/flavors/:id")
            _ = try await conform(
                .post, "/api/v1/flavors", "/api/v1/flavors", json: #"{"name":"ct-f","vcpus":1,"memory_mb":64,"disk_gb":1}"#)
            _ = try await conform(.delete, "/api/v1/flavors/ct-f", "/api/v1/flavors/:id")
            _ = try await conform(.get, "/api/v1/images", "/api/v1/images")
            _ = try await conform(.post, "/api/v1/images", "/api/v1/images", json: #"{"id":"ct-img","docker_reference":"busybox"}"#)
            _ = try await conform(.put, "/api/v1/images/ct-img", "/api/v1/images/:id", json: #"{"docker_reference":"alpine"}"#)
            _ = try await conform(.get, "/api/v1/images/ct-img", "/api/v1/images/:id")
            _ = try await conform(.delete, "/api/v1/images/ct-img", "/api/v1/images/:id")

            // Surface B.
            let worker = host.host.identity.hostId
            _ = try await conform(.get, "/api/v1/workers", "/api/v1/workers")
            _ = try await conform(.get, "/api/v1/workers/\(worker)", "/api/v1/workers/:id")
            _ = try await conform(.get, "/api/v1/workers/\(worker)/vms", "/api/v1/workers/:id/vms")
            _ = try await conform(.get, "/api/v1/workers/nope", "/api/v1/workers/:id")
            _ = try await conform(.get, "/api/v1/cluster/stats", "/api/v1/cluster/stats")
            _ = try await conform(.get, "/api/v1/cluster/distribution", "/api/v1/cluster/distribution")

            // Surface D: 201 with wait=running, 202 without, 200 with Idempotency-Key, actions, status, cluster.
            let d = try await conform(.post, "/api/v2/vms?wait=running", "/api/v2/vms", json: GlobalRoutesTests.createBody("ct-d1"))
            #expect(d.status == 201)
            let d2 = try await conform(.post, "/api/v2/vms", "/api/v2/vms", json: GlobalRoutesTests.createBody("ct-d2"), headers: idem)
            #expect(d2.status == 202)
            let d3 = try await conform(.post, "/api/v2/vms", "/api/v2/vms", json: GlobalRoutesTests.createBody("ct-d2"), headers: idem)
            #expect(d3.status == 200)
            let gid = try #require(d["id"])
            let g = "/api/v2/vms/:id"
            _ = try await conform(.get, "/api/v2/vms?limit=2", "/api/v2/vms")
            _ = try await conform(.get, "/api/v2/vms/\(gid)", g)
            _ = try await conform(.get, "/api/v2/vm/\(gid)/status", "/api/v2/vm/:id/status")
            _ = try await conform(.post, "/api/v2/vms/\(gid)/stop?wait=true", "\(g)/stop")
            _ = try await conform(.post, "/api/v2/vms/\(gid)/start", "\(g)/start")
            _ = try await conform(.get, "/api/v2/cluster", "/api/v2/cluster")
            _ = try await conform(.get, "/api/v2/vms?limit=0", "/api/v2/vms")
            _ = try await conform(.delete, "/api/v2/vms/\(gid)", g)

            // Surface E's gateway.
            let mv = try await conform(
                .post, "/v1alpha1/microvm", "/v1alpha1/microvm",
                json: #"{"microvm":{"id":"ct-mv","namespace":"ct","provider":"sim","kernel":{"image":"ubuntu-22.04"}}}"#)
            _ = try await conform(.get, "/v1alpha1/microvm", "/v1alpha1/microvm")
            _ = try await conform(.get, "/v1alpha1/microvm/ct", "/v1alpha1/microvm/:key")
            if let uid = (mv.json["microvm"] as? [String: Any])?["spec"].flatMap({ ($0 as? [String: Any])?["uid"] as? String }) {
                _ = try await conform(.get, "/v1alpha1/microvm/\(uid)", "/v1alpha1/microvm/:key")
                _ = try await conform(.delete, "/v1alpha1/microvm/\(uid)", "/v1alpha1/microvm/:key")
            } else {
                Issue.record("no uid in \(mv.text.prefix(300))")
            }
            _ = try await conform(.post, "/v1alpha1/microvm", "/v1alpha1/microvm", json: #"{"microvm":{}}"#)
            #expect(seen >= 60, "responses checked: \(seen)")
        }
    }
}

extension JSONValue {
    fileprivate var members: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    fileprivate var list: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    fileprivate func field(_ key: String) -> JSONValue? { members?[key] }
}
