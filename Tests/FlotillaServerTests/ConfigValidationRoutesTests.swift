import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

/// A backend configuration that cannot run is refused by every surface before anything is written: 400 with the
/// surface's error body naming the field, the same instance count and no new store revision but heartbeats.
@Suite("Config validation through the surfaces")
struct ConfigValidationRoutesTests {
    /// Docker named explicitly, so the host offers it without a daemon: the refusal must not depend on one.
    static let configure: @Sendable (inout HostConfiguration) -> Void = { config in
        config.backends = [.sim, .docker]
        config.dockerSocket = "/nonexistent/flotilla-validation-test/docker.sock"
    }

    static func surfaceA(_ config: String) -> String {
        #"{"name":"bad-config","backend":"docker","config":\#(config),"resources":{"cpu":{"cores":0.5},"memory":{"limit":67108864}}}"#
    }

    static func surfaceD(image: String = "busybox:1", command: String = "null") -> String {
        #"{"name":"bad-config","backend":"docker","image":"\#(image)","command":\#(command),"resources":{"cpu_cores":0.5,"memory_mb":64}}"#
    }

    @Test("surface A: env [\"FOO\"] is 400 naming config.env[0], and nothing is written")
    func surfaceAEnvWithoutValue() async throws {
        try await withProbe(configure: Self.configure) { api, host in
            let before = try await StoreSnapshot.settled(host)
            let r = try await api.post("/api/v1/compute/instances", Self.surfaceA(#"{"image":"busybox:1","env":["FOO"]}"#))
            #expect(r.status == 400, "\(r.text)")
            #expect(
                r.text
                    == #"{"error":{"code":"VALIDATION_ERROR","details":{"field":"config.env[0]"},"message":"config.env[0] \"FOO\" has no '=': expected KEY=VALUE, KEY made of printable ASCII characters other than '=' and space"}}"#
            )
            try await StoreSnapshot.take(host).expectNothingWritten(since: before)
        }
    }

    /// (route, body, the field the error names). Surface D's create carries no env, ports or volumes: its
    /// docker fields are the image and the command.
    static let refused: [(String, String, String)] = [
        ("/api/v1/compute/instances", surfaceA(#"{"image":"busybox:1","env":["A=1","=x"]}"#), "config.env[1]"),
        ("/api/v1/compute/instances", surfaceA(#"{"image":"busybox:1","ports":["80:http"]}"#), "config.ports[0]"),
        ("/api/v1/compute/instances", surfaceA(#"{"image":"busybox:1","ports":["8000-8009:80-85"]}"#), "config.ports[0]"),
        ("/api/v1/compute/instances", surfaceA(#"{"image":"busybox:1","volumes":["/ok","data"]}"#), "config.volumes[1]"),
        ("/api/v1/compute/instances", surfaceA(#"{"image":"busybox:1","volumes":["/srv:/data:rx"]}"#), "config.volumes[0]"),
        ("/api/v1/compute/instances", surfaceA(#"{"image":"Busybox:1"}"#), "config.image"),
        (
            "/api/v1/compute/instances",
            #"{"name":"bad-config","backend":"sim","config":{"image":"busybox:1"},"placement":{"onHostLost":"stay"}}"#,
            "placement.onHostLost"
        ),
        ("/api/v2/vms", surfaceD(image: "Busybox:1"), "config.image"),
        ("/api/v2/vms", surfaceD(image: "busybox@sha256:abc"), "config.image"),
        ("/api/v2/vms", surfaceD(command: #"["sh","a\u0000b"]"#), "config.command[1]"),
    ]

    @Test("a bad config is 400 with the surface's error body naming the field; nothing is written", arguments: refused)
    func refusedBeforeAnyWrite(_ route: String, _ body: String, _ field: String) async throws {
        try await withProbe(configure: Self.configure) { api, host in
            let before = try await StoreSnapshot.settled(host)
            let r = try await api.call(.post, route, json: body, headers: [.init("Idempotency-Key")!: "k-\(field)"])
            #expect(r.status == 400, "\(r.text)")
            #expect(r.errorCode == "VALIDATION_ERROR", "\(r.text)")
            #expect((r.error["details"] as? [String: Any])?["field"] as? String == field, "\(r.text)")
            #expect((r.error["message"] as? String)?.hasPrefix(field) == true, "\(r.text)")
            try await StoreSnapshot.take(host).expectNothingWritten(since: before)
            let listed = try await api.get(route)
            let count = (listed.json["instances"] ?? listed.json["items"]) as? [Any]
            #expect(count?.isEmpty == true, "\(listed.text)")
        }
    }
}

/// What the store holds, to show that a refused request wrote nothing. Heartbeats (`/flotilla/alive/`) may land
/// at any time and are the only writes allowed between two snapshots.
struct StoreSnapshot {
    var revision: Revision
    var keys: [String: Revision]
    var instances: Int

    static func take(_ host: TestHost) async throws -> StoreSnapshot {
        let all = try await host.host.store.range(prefix: "/flotilla")
        return StoreSnapshot(
            revision: all.revision, keys: Dictionary(uniqueKeysWithValues: all.kvs.map { ($0.key, $0.modRevision) }),
            instances: all.kvs.filter { $0.key.hasPrefix(StoreKeys.instances) }.count)
    }

    /// A snapshot once the host's startup writes (registration, leadership) are done: it leads, and two reads
    /// 300 ms apart show the same keys (heartbeats aside). Polled for up to 20 s, for a loaded machine.
    static func settled(_ host: TestHost) async throws -> StoreSnapshot {
        var last = try await take(host)
        var settled: StoreSnapshot?
        try await eventually("the test host's startup writes are done", timeout: .seconds(20), every: .milliseconds(300)) {
            let next = try await take(host)
            defer { last = next }
            guard next.keys[StoreKeys.leader] != nil, next.writes(since: last).isEmpty else { return false }
            settled = next
            return true
        }
        return try #require(settled)
    }

    /// The keys written or removed since `before`, heartbeats aside.
    func writes(since before: StoreSnapshot) -> [String] {
        let changed = keys.filter { before.keys[$0.key] != $0.value }.map(\.key)
        let removed = before.keys.keys.filter { keys[$0] == nil }
        // Bookkeeping that any request may cause is not a write of the request: heartbeats, a key's last use
        // (ADR 0019) and the audit record of a refused call (ADR 0018).
        let bookkeeping = [StoreKeys.alive, StoreKeys.apiKeys, StoreKeys.auditRecords, StoreKeys.auditHours]
        return (changed + removed).filter { key in !bookkeeping.contains { key.hasPrefix($0) } }.sorted()
    }

    func expectNothingWritten(since before: StoreSnapshot, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(instances == before.instances, "instance count", sourceLocation: sourceLocation)
        let written = writes(since: before)
        #expect(written.isEmpty, "written: \(written)", sourceLocation: sourceLocation)
        if keys.allSatisfy({ before.keys[$0.key] == $0.value }) {
            #expect(revision == before.revision, "store revision", sourceLocation: sourceLocation)
        }
    }
}

extension ConfigValidationRoutesTests {
    @Test("surface A: placement.onHostLost keep is stored and shown; reschedule is the default and not shown")
    func onHostLostRoundTrip() async throws {
        try await withProbe { api, _ in
            let kept = try await api.post(
                "/api/v1/compute/instances",
                #"{"name":"kept","backend":"sim","config":{"image":"busybox:1"},"placement":{"onHostLost":"keep"}}"#)
            #expect(kept.status == 201, "\(kept.text)")
            #expect((kept.json["placement"] as? [String: Any])?["onHostLost"] as? String == "keep", "\(kept.text)")
            let plain = try await api.post("/api/v1/compute/instances", #"{"name":"plain","backend":"sim","config":{"image":"busybox:1"}}"#)
            #expect(plain.status == 201, "\(plain.text)")
            #expect(plain.json["placement"] == nil, "\(plain.text)")
        }
    }
}
