import Foundation
import Testing

/// Names and text fields over HTTP (issue 12, finding 4): sizes are counted in UTF-8 bytes, not characters, and
/// every kind of name follows one rule (docs/decisions/0015-names-and-text-limits.md). Each refusal comes in the
/// surface's own error format, and the count of that kind of record is the same afterwards.
@Suite("Names and text fields: limits in bytes, one rule for every kind of name")
struct NameLimitsTests {
    /// `"z"` and `marks` combining acute accents: one Character of `1 + 2 * marks` bytes.
    static func combining(_ marks: Int) -> String { "z" + String(repeating: "\u{301}", count: marks) }

    /// Names every surface must refuse, beside its own size case.
    static let badNames: [(String, String)] = [
        ("NUL", "a\u{0}b"), ("newline", "a\nb"), ("only spaces", "   "), ("leading space", " web"),
        ("trailing space", "web "), ("slash", "a/b"),
    ]

    /// `value` as a JSON string literal.
    static func q(_ value: String) -> String {
        // Encoding a String cannot fail.
        // swift-format-ignore: NeverUseForceTry
        String(decoding: try! JSONEncoder().encode(value), as: UTF8.self)
    }

    // MARK: Surface A

    static func instanceBody(name: String = #""na-ok""#, config: String = #""image":"busybox""#, metadata: String = "{}") -> String {
        #"{"name":\#(name),"backend":"sim","config":{\#(config)},"resources":{"cpu":{"cores":1},"memory":{"limit":268435456}},"metadata":\#(metadata)}"#
    }

    static func expectComputeRefusal(_ r: Reply, field: String, _ what: String) {
        #expect(r.status == 400, "\(what): \(r.text.prefix(300))")
        #expect(r.errorCode == "VALIDATION_ERROR", "\(what): \(r.text.prefix(300))")
        #expect((r.error["details"] as? [String: any Sendable])?["field"] as? String == field, "\(what): \(r.text.prefix(300))")
    }

    @Test("surface A: instance names (a megabyte in one character, NUL, newline, blank, edge spaces) are refused; nothing is created")
    func instanceNames() async throws {
        try await withProbe { api, _ in
            let cases =
                [("a megabyte of combining marks", Self.combining(520_000)), ("256 bytes", String(repeating: "n", count: 256))]
                + Self.badNames
            for (what, name) in cases {
                let r = try await api.post("/api/v1/compute/instances", Self.instanceBody(name: Self.q(name)))
                Self.expectComputeRefusal(r, field: "name", what)
            }
            #expect(try await api.get("/api/v1/compute/instances").json["total"] as? Int == 0)
            let fits = try await api.post(
                "/api/v1/compute/instances", Self.instanceBody(name: Self.q(String(repeating: "n", count: 255))))
            #expect(fits.status == 201, "\(fits.text.prefix(300))")
        }
    }

    @Test("surface A: labels, annotations, image, env, command and placement are capped in bytes")
    func instanceTextFields() async throws {
        try await withProbe { api, _ in
            let big = Self.q(Self.combining(40_000))
            let cases: [(String, String, String)] = [
                ("label key", "labels", Self.instanceBody(metadata: #"{"labels":{\#(Self.q(Self.combining(200))):"v"}}"#)),
                ("label value", "labels", Self.instanceBody(metadata: #"{"labels":{"k":\#(Self.q(Self.combining(600)))}}"#)),
                ("label key with a newline", "labels", Self.instanceBody(metadata: #"{"labels":{"a\nb":"v"}}"#)),
                (
                    "annotation value", "annotations",
                    Self.instanceBody(metadata: #"{"annotations":{"note":\#(Self.q(Self.combining(400_000)))}}"#)
                ),
                ("image", "config.image", Self.instanceBody(config: #""image":\#(big)"#)),
                (
                    "env entry", "config.env[0]",
                    Self.instanceBody(config: #""image":"busybox","env":["A=\#(String(repeating: "x", count: 40_000))"]"#)
                ),
                (
                    "placement zone", "placement.zone",
                    Self.instanceBody(metadata: #"{}, "placement":{"zone":\#(Self.q(Self.combining(200)))}"#)
                ),
                (
                    "command argument", "config.command[0]",
                    Self.instanceBody(config: #""image":"busybox","command":[\#(Self.q(Self.combining(40_000)))]"#)
                ),
            ]
            for (what, field, body) in cases {
                Self.expectComputeRefusal(try await api.post("/api/v1/compute/instances", body), field: field, what)
            }
            #expect(try await api.get("/api/v1/compute/instances").json["total"] as? Int == 0)
        }
    }

    // MARK: Surface C

    /// Checks a pydantic-style 422 naming `loc`.
    static func expectVMsRefusal(_ r: Reply, loc: [String], _ what: String) {
        #expect(r.status == 422, "\(what): \(r.text.prefix(300))")
        let detail = r.json["detail"] as? [[String: any Sendable]] ?? []
        #expect(detail.contains { $0["loc"] as? [String] == loc }, "\(what): \(r.text.prefix(300))")
    }

    @Test("surface C: VM names and text fields are capped in bytes; renames too; nothing changes")
    func vmNames() async throws {
        try await withProbe { api, _ in
            let kept = try await api.createVM("vm-kept")
            let names =
                [("one character of 401 bytes", Self.combining(200)), ("256 bytes", String(repeating: "v", count: 256))]
                + Self.badNames
            for (what, name) in names {
                let r = try await api.post("/api/v1/vms", #"{"name":\#(Self.q(name)),"flavor_id":"m1.tiny","image_id":"ubuntu-22.04"}"#)
                Self.expectVMsRefusal(r, loc: ["body", "name"], what)
                Self.expectVMsRefusal(
                    try await api.patch("/api/v1/vms/\(kept)", #"{"name":\#(Self.q(name))}"#), loc: ["body", "name"], "rename: \(what)")
            }
            let fields: [(String, String)] = [
                ("description", #""description":\#(Self.q(Self.combining(600)))"#),
                ("key_name", #""key_name":\#(Self.q(Self.combining(200)))"#),
                ("user_data", #""user_data":\#(Self.q(Self.combining(40_000)))"#),
                ("metadata", #""metadata":{"note":\#(Self.q(Self.combining(200)))}"#),
                ("security_groups", #""security_groups":[\#(Self.q(Self.combining(200)))]"#),
            ]
            for (field, extra) in fields {
                let r = try await api.post("/api/v1/vms", #"{"name":"vm-new","flavor_id":"m1.tiny","image_id":"ubuntu-22.04",\#(extra)}"#)
                #expect(r.status == 422, "\(field): \(r.text.prefix(300))")
                let detail = r.json["detail"] as? [[String: any Sendable]] ?? []
                #expect(
                    detail.contains { ($0["loc"] as? [any Sendable])?.dropFirst().first as? String == field },
                    "\(field): \(r.text.prefix(300))")
            }
            let list = try await api.get("/api/v1/vms")
            #expect(list.json["total"] as? Int == 1)
            #expect(try await api.get("/api/v1/vms/\(kept)")["name"] == "vm-kept")
        }
    }

    @Test("surface C: flavor names and descriptions follow the rule in bytes; the catalog is unchanged")
    func flavorNames() async throws {
        try await withProbe { api, _ in
            let names =
                [("40 KB in one character", Self.combining(20_000)), ("256 bytes", String(repeating: "f", count: 256))]
                + Self.badNames
            for (what, name) in names {
                let r = try await api.post(
                    "/api/v1/flavors", #"{"id":"c1.x","name":\#(Self.q(name)),"vcpus":1,"memory_mb":512,"disk_gb":1}"#)
                Self.expectVMsRefusal(r, loc: ["body", "name"], what)
            }
            let described = try await api.post(
                "/api/v1/flavors",
                #"{"id":"c1.x","name":"c1.x","vcpus":1,"memory_mb":512,"disk_gb":1,"description":\#(Self.q(Self.combining(20_000)))}"#)
            Self.expectVMsRefusal(described, loc: ["body", "description"], "description")
            #expect(try await api.get("/api/v1/flavors").json["total"] as? Int == 5)
        }
    }

    @Test("surface C: image names and text fields follow the rule in bytes; the catalog is unchanged")
    func imageNames() async throws {
        try await withProbe { api, _ in
            let names =
                [("40 KB in one character", Self.combining(20_000)), ("256 bytes", String(repeating: "i", count: 256))]
                + Self.badNames
            for (what, name) in names {
                let r = try await api.post("/api/v1/images", #"{"id":"img-x","name":\#(Self.q(name)),"docker_reference":"busybox:latest"}"#)
                Self.expectVMsRefusal(r, loc: ["body", "name"], what)
                let put = try await api.put("/api/v1/images/debian-12", #"{"name":\#(Self.q(name)),"docker_reference":"debian:12"}"#)
                Self.expectVMsRefusal(put, loc: ["body", "name"], "replace: \(what)")
            }
            for field in ["description", "os_distro", "os_version", "docker_reference"] {
                let r = try await api.post("/api/v1/images", #"{"id":"img-x","\#(field)":\#(Self.q(Self.combining(20_000)))}"#)
                Self.expectVMsRefusal(r, loc: ["body", field], field)
            }
            #expect(try await api.get("/api/v1/images").json["total"] as? Int == 5)
            #expect(try await api.get("/api/v1/images/debian-12")["name"] != " web")
        }
    }

    // MARK: Surface E's gateway

    static func microVMBody(id: String = #""mv-1""#, namespace: String = #""team-a""#, extra: String = "") -> String {
        #"{"microvm":{"id":\#(id),"namespace":\#(namespace),"provider":"sim","kernel":{"image":"ubuntu-22.04"\#(extra)}}}"#
    }

    static func expectFlintlockRefusal(_ r: Reply, _ what: String) {
        #expect(r.status == 400, "\(what): \(r.text.prefix(300))")
        #expect(r.json["code"] as? Int == 3, "INVALID_ARGUMENT: \(what): \(r.text.prefix(300))")
    }

    @Test("surface E's gateway: MicroVM ids, namespaces and the spec are capped in bytes and follow the rule")
    func microVMNames() async throws {
        try await withProbe { api, _ in
            let names =
                [("40 KB in one character", Self.combining(20_000)), ("64 bytes", String(repeating: "m", count: 64))]
                + Self.badNames
            for (what, name) in names {
                Self.expectFlintlockRefusal(try await api.post("/v1alpha1/microvm", Self.microVMBody(id: Self.q(name))), "id: \(what)")
                Self.expectFlintlockRefusal(
                    try await api.post("/v1alpha1/microvm", Self.microVMBody(namespace: Self.q(name))), "namespace: \(what)")
            }
            let cmdline = #","cmdline":{"console":\#(Self.q(String(repeating: "c", count: 70_000)))}"#
            Self.expectFlintlockRefusal(try await api.post("/v1alpha1/microvm", Self.microVMBody(extra: cmdline)), "a 70 KB spec")
            let listed = try await api.get("/v1alpha1/microvm")
            #expect(listed.status == 200, "\(listed.text.prefix(300))")
            #expect((listed.json["microvm"] as? [any Sendable])?.count ?? -1 == 0, "\(listed.text.prefix(300))")
            #expect(try await api.get("/api/v1/compute/instances").json["total"] as? Int == 0)
        }
    }
}
