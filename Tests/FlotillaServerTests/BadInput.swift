import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaServer

/// What the bad-input suite sends and checks (see BadInputTests).
enum BadInput {
    /// One request that must be refused: `query` (with its `?`) and `body` change one thing of a valid request.
    struct Variant {
        var what: String
        var query: String = ""
        var body: String?
        /// The path's parameters name records that do not exist.
        var unknownId = false

        /// For the counts the suite prints.
        var kind: String { unknownId ? "unknown id" : !query.isEmpty ? "query" : what.contains(": ") ? "name" : "body" }
    }

    /// A request each mutating route would accept ("" for routes without a body). The bad variants change one
    /// part of it, so that a route that acted before validating everything is caught changing the state.
    static let validBodies: [String: String] = [
        "POST /api/v1/compute/instances":
            #"{"name":"bi-new-a","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":1},"memory":{"limit":268435456}}}"#,
        "PUT /api/v1/compute/instances/:id": #"{"metadata":{"labels":{"changed":"yes"}}}"#,
        "POST /api/v1/keys/:id/rotate": #"{"grace":60}"#,
        "DELETE /api/v1/compute/instances/:id": "",
        "PUT /api/v1/compute/instances/:id/start": "",
        "PUT /api/v1/compute/instances/:id/pause": "",
        "PUT /api/v1/compute/instances/:id/unpause": "",
        "PUT /api/v1/compute/instances/:id/stop": #"{"force":false,"timeout":5}"#,
        "PUT /api/v1/compute/instances/:id/restart": #"{"hard":false,"timeout":5}"#,
        "POST /api/v1/keys": #"{"name":"bi-new-key","role":"reader"}"#,
        "DELETE /api/v1/keys/:id": "",
        "POST /api/v1/flavors": #"{"id":"bi.new","name":"bi.new","vcpus":1,"memory_mb":512,"disk_gb":1}"#,
        "DELETE /api/v1/flavors/:id": "",
        "POST /api/v1/images": #"{"id":"bi-new-img","name":"bi-new-img","docker_reference":"busybox:latest"}"#,
        "PUT /api/v1/images/:id": #"{"name":"bi-renamed-img","docker_reference":"busybox:latest"}"#,
        "DELETE /api/v1/images/:id": "",
        "POST /api/v1/vms": #"{"name":"bi-new-vm","flavor_id":"m1.tiny","image_id":"ubuntu-22.04"}"#,
        "PATCH /api/v1/vms/:uuid": #"{"name":"bi-renamed-vm"}"#,
        "DELETE /api/v1/vms/:uuid": "",
        "POST /api/v1/vms/:uuid/start": "",
        "POST /api/v1/vms/:uuid/stop": "",
        "POST /api/v1/vms/:uuid/reboot": #"{"reboot_type":"HARD"}"#,
        "POST /api/v1/vms/:uuid/sync": "",
        "POST /api/v1/workers/:id/drain": #"{"migrate":false}"#,
        "POST /api/v1/workers/:id/activate": "",
        "POST /v1alpha1/microvm":
            #"{"microvm":{"id":"bi-new-mvm","namespace":"bi","memory_in_mb":512,"kernel":{"image":"ubuntu-22.04"},"root_volume":{"id":"root","source":{"container_source":"ubuntu:22.04"}},"provider":"sim"}}"#,
        "DELETE /v1alpha1/microvm/:key": "",
        "POST /api/v2/vms": #"{"name":"bi-new-d","backend":"sim","image":"busybox","resources":{"cpu_cores":0.5,"memory_mb":64}}"#,
        "DELETE /api/v2/vms/:id": "",
        "POST /api/v2/vms/:id/start": "",
        "POST /api/v2/vms/:id/stop": "",
        "POST /api/v2/vms/:id/restart": "",
        "POST /api/v2/vms/:id/pause": "",
        "POST /api/v2/vms/:id/resume": "",
        "POST /api/v2/vms/:id/migrate": #"{"worker_id":"bi-no-such-worker"}"#,
        "POST /api/v2/vms/:id/snapshots": #"{"name":"bi-snap"}"#,
        "DELETE /api/v2/snapshots/:id": "",
        "POST /api/v2/snapshots/:id/vms": #"{"name":"bi-from-snap"}"#,
    ]

    /// The creates sent for real at the end, to show their valid bodies are valid.
    static var controls: [(String, String)] {
        validBodies.filter { $0.key.hasPrefix("POST ") && !$0.key.contains(":") }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Where names sit in each body with names (JSON paths).
    static let nameFields: [String: [[String]]] = [
        "POST /api/v1/compute/instances": [["name"]],
        "POST /api/v1/keys": [["name"]],
        "POST /api/v1/flavors": [["id"], ["name"]],
        "POST /api/v1/images": [["id"], ["name"]],
        "PUT /api/v1/images/:id": [["name"]],
        "POST /api/v1/vms": [["name"]],
        "PATCH /api/v1/vms/:uuid": [["name"]],
        "POST /v1alpha1/microvm": [["microvm", "id"], ["microvm", "namespace"]],
        "POST /api/v2/vms": [["name"]],
        "POST /api/v2/vms/:id/snapshots": [["name"]],
        "POST /api/v2/snapshots/:id/vms": [["name"]],
    ]

    /// Routes where a path parameter naming nothing is not an error: `PUT` of an image creates it, and Flintlock's
    /// `GET /v1alpha1/microvm/{key}` lists a namespace when the key is not a uid.
    static let upserts: Set<String> = ["PUT /api/v1/images/:id", "GET /v1alpha1/microvm/:key"]

    /// Name fields where an empty string is protobuf's "not set" (the default namespace), not a bad name.
    static let emptyMeansUnset: Set<[String]> = [["microvm", "namespace"]]

    /// Names no kind of name may take: empty, blank, control characters, and ones far past any byte limit while
    /// short in characters (one `z` with 20,000 combining marks is one character and 40 KB).
    static let badNames: [(String, String)] = [
        ("empty name", ""), ("blank name", "   "), ("NUL in name", "a\u{0}b"), ("newline in name", "a\nb"),
        ("one character of 40 KB", "z" + String(repeating: "\u{0301}", count: 20_000)),
        ("80 KB name", String(repeating: "é", count: 40_000)),
    ]

    /// Bad values for each query parameter a route documents. An empty list: any value is a valid filter.
    static let badQueryValues: [String: [String]] = [
        "wait": ["maybe", "2"], "force": ["maybe", "2"], "hard": ["maybe", "2"],
        "timeout": ["-1", "abc", "1e3", "99999999999999999999"],
        "page": ["0", "-1", "abc"], "pageSize": ["0", "100000", "abc"], "page_size": ["0", "100000", "abc"],
        "limit": ["0", "-1", "abc"], "lines": ["0", "-1", "abc"], "since": ["-1", "abc"], "until": ["-1", "later"],
        "tail": ["-1", "abc", "10001"], "follow": ["maybe", "2"],
        "min_revision": ["-1", "abc"], "state": ["bogus-state"], "backend": ["bogus-backend"], "kind": ["bogus-kind"],
        "cursor": ["!!not-a-cursor!!"], "labels": ["novalue"], "label": ["=novalue"],
        "zone": [], "host": [], "name": [], "vm_id": [],
        // The audit trail's filters (ADR 0018): a key id or name and a target id, 1 to 128 characters.
        "key": ["", String(repeating: "k", count: 129)], "target": ["", String(repeating: "t", count: 129)],
    ]

    /// The bad variants of `route`'s valid request. A parameter without bad values here is a coverage failure.
    static func variants(for route: RouteEntry, document: [String: any Sendable], failures: inout [String]) -> [Variant] {
        let key = "\(route.method.rawValue) \(route.path)"
        let valid = validBodies[key].flatMap { $0.isEmpty ? nil : $0 }
        var out: [Variant] = []
        let names = queryParameters(of: route, in: document)
        for name in names {
            guard let values = badQueryValues[name] else {
                failures.append("\(key): no bad values written for its query parameter \(name)")
                continue
            }
            out += values.map { Variant(what: "\(name)=\($0)", query: "?\(name)=\(escape($0))", body: valid) }
        }
        if names.contains("wait"), names.contains("timeout") {
            out.append(Variant(what: "wait=false&timeout=abc", query: "?wait=false&timeout=abc", body: valid))
        }
        if let valid {
            out += ["{\"name\":", "[]", "\"text\"", "42"].map { (text: String) in Variant(what: "body \(text)", body: text) }
            out += wrongTypes(valid).map { field, body in Variant(what: "\(field) of the wrong type", body: body) }
            for path in nameFields[key] ?? [] {
                out += badNames.filter { !(emptyMeansUnset.contains(path) && $0.1.isEmpty) }.compactMap { what, name in
                    replacing(path, in: valid, with: name).map { Variant(what: "\(path.joined(separator: ".")): \(what)", body: $0) }
                }
            }
        }
        if route.path.contains(":"), !upserts.contains(key) {
            out.append(Variant(what: "unknown id", body: valid, unknownId: true))
        }
        return out
    }

    /// The query parameters `/openapi.json` documents for a route.
    static func queryParameters(of route: RouteEntry, in document: [String: any Sendable]) -> [String] {
        let path = OpenAPIDocument.openAPIPath(route.path)
        let paths = document["paths"] as? [String: any Sendable]
        let operation = (paths?[path] as? [String: any Sendable])?[route.method.rawValue.lowercased()] as? [String: any Sendable]
        let parameters = operation?["parameters"] as? [[String: any Sendable]] ?? []
        return parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String }
    }

    /// The valid body with one top-level field at a time given a value of another JSON type.
    static func wrongTypes(_ valid: String) -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(valid.utf8)) as? [String: Any] else { return [] }
        return object.keys.sorted().compactMap { field in
            var copy = object
            let value = object[field]
            copy[field] = value is String ? [1, 2] as [Any] : "text"
            return encode(copy).map { (field, $0) }
        }
    }

    static func replacing(_ path: [String], in valid: String, with value: String) -> String? {
        guard var object = try? JSONSerialization.jsonObject(with: Data(valid.utf8)) as? [String: Any] else { return nil }
        func set(_ object: inout [String: Any], _ path: ArraySlice<String>) {
            guard let first = path.first else { return }
            if path.count == 1 {
                object[first] = value
            } else if var inner = object[first] as? [String: Any] {
                set(&inner, path.dropFirst())
                object[first] = inner
            }
        }
        set(&object, path[...])
        return encode(object)
    }

    static func encode(_ object: [String: Any]) -> String? {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
    }

    static func escape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    /// Whether a refusal is in the error format of the surface its path belongs to.
    static func isSurfaceError(_ reply: Reply, path: String) -> Bool {
        let json = reply.json
        switch Surface.of(path: path) {
        case .compute: return (json["error"] as? [String: any Sendable])?["code"] is String
        case .vms: return json["detail"] != nil || json["error"] is String
        case .workers: return json["error"] is String && json["code"] is Int
        case .flintlock: return json["code"] is Int && json["message"] is String
        }
    }

    /// The parts of the cluster's state a request could change (not heartbeats or observations, which move on
    /// their own).
    struct Fingerprint: Equatable {
        struct InstanceFacts: Equatable {
            var name: String
            var state: InstanceState
            var desired: DesiredState
            var generation: Int64
            var spec: InstanceSpec
        }
        var instances: [String: InstanceFacts]
        var names: [String: String]
        var keys: Set<String>
        var flavors: [String: Flavor]
        var images: [String: Image]
        var workers: [String: String]

        init(_ host: TestHost) {
            (instances, names, keys, flavors, images, workers) = host.host.registry.read { s in
                (
                    Dictionary(
                        uniqueKeysWithValues: s.liveInstances.map { i in
                            (i.id, InstanceFacts(name: i.name, state: i.state, desired: i.desired, generation: i.generation, spec: i.spec))
                        }),
                    s.names.mapValues { $0 }, Set(s.apiKeys.values.map(\.id)), s.flavors, s.images,
                    s.workers.mapValues { "\($0.value.adminStatus) \($0.value.labels.sorted { $0.key < $1.key })" }
                )
            }
        }

        /// What differs, or nil.
        func difference(from other: Fingerprint) -> String? {
            if instances != other.instances {
                let changed = Set(instances.keys).union(other.instances.keys).filter { instances[$0] != other.instances[$0] }
                let lines = changed.sorted().map {
                    "\($0): \(String(describing: instances[$0])) -> \(String(describing: other.instances[$0]))"
                }
                return "instances \(lines)"
            }
            if names != other.names { return "names \(names) -> \(other.names)" }
            if keys != other.keys { return "keys \(keys.symmetricDifference(other.keys))" }
            if flavors != other.flavors { return "flavors \(Set(flavors.keys).symmetricDifference(other.flavors.keys)) or their contents" }
            if images != other.images { return "images \(Set(images.keys).symmetricDifference(other.images.keys)) or their contents" }
            if workers != other.workers { return "workers \(workers) -> \(other.workers)" }
            return nil
        }
    }

    /// The records the routes' path parameters point at: live, so that a request that acted would change them.
    struct Fixture {
        var instance: String
        var instanceName: String
        var vm: String
        var microVM: String
        var key: String
        var flavor: String
        var image: String
        /// A snapshot of `instance` (docs/decisions/0028-snapshots.md).
        var snapshot: String

        static func make(_ api: HTTPProbe, _ host: TestHost) async throws -> Fixture {
            let n = UUID().uuidString.prefix(6).lowercased()
            let instanceName = "bi-fixture-\(n)"
            let instance = try await api.createSim(instanceName)
            let vm = try await api.createVM("bi-vm-\(n)")
            let created = try await api.post(
                "/v1alpha1/microvm",
                #"{"microvm":{"id":"bi-mvm-\#(n)","namespace":"bi","memory_in_mb":512,"kernel":{"image":"ubuntu-22.04"},"root_volume":{"id":"root","source":{"container_source":"ubuntu:22.04"}},"provider":"sim"}}"#
            )
            let spec = (created.json["microvm"] as? [String: any Sendable])?["spec"] as? [String: any Sendable]
            let microVM = try #require(
                spec?["uid"] as? String,
                "\(created.text) \(host.host.registry.read { s in "\(s.allocations()) \(s.workers.mapValues { $0.value.capacity })" })")
            let key = try #require(try await api.post("/api/v1/keys", #"{"name":"bi-key-\#(n)","role":"reader"}"#)["id"])
            let flavor = "bi.\(n)"
            let f = try await api.post("/api/v1/flavors", #"{"id":"\#(flavor)","name":"\#(flavor)","vcpus":1,"memory_mb":512,"disk_gb":1}"#)
            #expect(f.status == 201, "\(f.text)")
            let image = "bi-img-\(n)"
            let i = try await api.post("/api/v1/images", #"{"id":"\#(image)","name":"\#(image)","docker_reference":"busybox:latest"}"#)
            #expect(i.status == 201, "\(i.text)")
            // Every instance settled (running), so that a request that acted shows as a change.
            // A MicroVM's uid is its own; the instance behind it carries its name.
            let microVMInstance = try #require(
                host.host.registry.read { s in s.liveInstances.first { $0.name.contains("bi-mvm-\(n)") }?.id },
                "no instance for the MicroVM")
            let ids = [instance, vm, microVMInstance]
            do {
                try await eventually("the fixture's instances run", timeout: .seconds(30)) {
                    host.host.registry.read { s in ids.allSatisfy { s.instances[$0]?.value.state == .running } }
                }
            } catch {
                let states = host.host.registry.read { s in ids.map { "\($0): \(String(describing: s.instances[$0]?.value.state))" } }
                Issue.record("fixture states: \(states)")
                throw error
            }
            let snapshot = try #require(try await api.post("/api/v2/vms/\(instance)/snapshots", "{}")["id"])
            return Fixture(
                instance: instance, instanceName: instanceName, vm: vm, microVM: microVM, key: key, flavor: flavor, image: image,
                snapshot: snapshot)
        }

        /// The route's path with its parameters pointing at the fixture; `unknown` for the "unknown id" variant.
        func fill(_ pattern: String, unknown: Bool = false) -> String {
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            return parts.enumerated().map { index, part -> String in
                guard part.hasPrefix(":") else { return part }
                if unknown { return "does-not-exist" }
                let before = parts[..<index].joined(separator: "/")
                switch (before, part) {
                case (_, ":backend"): return "sim"
                case (_, ":name"): return instanceName
                case ("/api/v1/vms", _): return vm
                case ("/v1alpha1/microvm", _): return microVM
                case ("/api/v1/keys", _): return key
                case ("/api/v1/flavors", _): return flavor
                case ("/api/v1/images", _): return image
                case ("/api/v1/workers", _): return "test-host"
                case ("/api/v2/snapshots", _): return snapshot
                default: return instance
                }
            }.joined(separator: "/")
        }
    }
}
