import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import FlotillaServer

/// Issue 12, findings 1 and 5: a request is parsed and validated in full before anything acts, and surface A's
/// queries are strict (`wait`/`force` exactly `true` or `false`, `timeout` an integer 0...3600 whether or not
/// the request waits).
@Suite("Edge order: validate in full before acting; strict queries")
struct EdgeOrderTests {
    /// Every live instance with its state and desired state: what a rejected request must leave alone.
    static func instances(_ host: TestHost) -> [String: String] {
        host.host.registry.read { s in
            Dictionary(uniqueKeysWithValues: s.liveInstances.map { ($0.id, "\($0.state.rawValue)/\($0.desired.rawValue)") })
        }
    }

    /// Sends a request that must be refused with 400 VALIDATION_ERROR and checks that nothing changed.
    static func refused(
        _ api: HTTPProbe, _ host: TestHost, _ method: HTTPRequest.Method, _ path: String, json: String? = nil,
        field: String? = nil
    ) async throws {
        let before = instances(host)
        let r = try await api.call(method, path, json: json)
        #expect(r.status == 400, "\(method) \(path): \(r.status) \(r.text)")
        #expect(r.errorCode == "VALIDATION_ERROR", "\(method) \(path): \(r.text)")
        if let field { #expect((r.error["details"] as? [String: Any])?["field"] as? String == field, "\(path): \(r.text)") }
        // A refused request wrote nothing: the same instances, in the same states, once its revision applied.
        let after = instances(host)
        #expect(after == before, "\(method) \(path) changed state: \(before) -> \(after)")
    }

    static let body =
        #"{"name":"edge-one","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":1},"memory":{"limit":268435456}}}"#

    @Test("a create with a bad query answers 400 and creates nothing (timeout=-1, timeout=abc, wait=maybe, wait=1)")
    func createRefused() async throws {
        try await withProbe { api, host in
            let base = "/api/v1/compute/instances"
            for query in ["timeout=-1", "timeout=abc", "wait=false&timeout=abc", "wait=maybe", "wait=1", "wait=yes", "wait="] {
                try await Self.refused(api, host, .post, "\(base)?\(query)", json: Self.body)
            }
            #expect(Self.instances(host).isEmpty)
            // The same body without the bad query is created at once: the name was never taken.
            let created = try await api.post(base, Self.body)
            #expect(created.status == 201, "\(created.text)")
        }
    }

    @Test("delete, stop, pause, restart, start, unpause with timeout=-1 answer 400 and leave the instance as it was")
    func actionsRefused() async throws {
        try await withProbe { api, host in
            let id = try await api.createSim("edge-actions")
            let path = "/api/v1/compute/instances/\(id)"
            try await Self.refused(api, host, .delete, "\(path)?timeout=-1", field: "timeout")
            try await Self.refused(api, host, .delete, "\(path)?force=2", field: "force")
            try await Self.refused(api, host, .delete, "\(path)?force=maybe", field: "force")
            for verb in ["stop", "pause", "restart"] {
                try await Self.refused(api, host, .put, "\(path)/\(verb)?timeout=-1", field: "timeout")
            }
            try await Self.refused(api, host, .put, "\(path)/stop?wait=false&timeout=abc", field: "timeout")
            try await Self.refused(api, host, .put, "\(path)/stop?wait=maybe", field: "wait")
            #expect(Self.instances(host)[id] == "running/running")

            #expect(try await api.put("\(path)/stop").status == 200)
            try await Self.refused(api, host, .put, "\(path)/start?timeout=-1", field: "timeout")
            #expect(Self.instances(host)[id] == "stopped/stopped")

            #expect(try await api.put("\(path)/start").status == 200)
            #expect(try await api.put("\(path)/pause").status == 200)
            try await Self.refused(api, host, .put, "\(path)/unpause?timeout=-1", field: "timeout")
            #expect(Self.instances(host)[id] == "paused/paused")

            // Valid queries still work: wait=false answers 202 (or 200 when already settled).
            let resumed = try await api.put("\(path)/unpause?wait=false&timeout=5")
            #expect([200, 202].contains(resumed.status), "\(resumed.text)")
            let deleted = try await api.delete("\(path)?force=true&timeout=30")
            #expect(deleted.status == 200, "\(deleted.text)")
        }
    }

    @Test("surface D actions: wait=maybe is 400 and the action does not run")
    func globalRefused() async throws {
        try await withProbe { api, host in
            let id = try await api.createSim("edge-global")
            for verb in ["stop", "pause", "restart"] {
                try await Self.refused(api, host, .post, "/api/v2/vms/\(id)/\(verb)?wait=maybe", field: "wait")
                try await Self.refused(api, host, .post, "/api/v2/vms/\(id)/\(verb)?wait=1", field: "wait")
            }
            try await Self.refused(api, host, .delete, "/api/v2/vms/\(id)?wait=2", field: "wait")
            #expect(Self.instances(host)[id] == "running/running")
        }
    }

    @Test("list queries are strict: pageSize=abc, page=0 are 400")
    func listRefused() async throws {
        try await withProbe { api, host in
            for query in ["page=0", "pageSize=abc", "pageSize=501", "page=1.5"] {
                try await Self.refused(api, host, .get, "/api/v1/compute/instances?\(query)")
            }
        }
    }

    @Test("surface C keeps answering 422 for the same bad queries, and acts on none")
    func surfaceCUnchanged() async throws {
        try await withProbe { api, host in
            for query in ["timeout=-1", "wait=maybe", "wait=false&timeout=abc"] {
                let before = Self.instances(host)
                let r = try await api.call(.post, "/api/v1/vms/00000000-0000-4000-8000-000000000000/stop?\(query)")
                #expect(r.status == 422, "\(query): \(r.text)")
                #expect(Self.instances(host) == before)
            }
        }
    }

    // MARK: Finding 2: authentication first; min_revision only for authenticated callers

    static let far = "min_revision=1000000000000000"
    static let revisionHeader = HTTPField.Name(constant: "X-Flotilla-Revision")

    @Test("an anonymous or wrong-key min_revision answers 401 at once, and neither body nor headers carry the revision")
    func anonymousMinRevision() async throws {
        // A long wait makes "did not wait" unmistakable without a tight timing assertion.
        try await Self.withRouter(consistencyWait: .seconds(60)) { api, _ in
            let cases: [(String, String?, Int)] = [
                ("/api/v1/keys", nil, 401), ("/api/v1/keys", "flt_not_a_real_key_0000000000", 401),
                ("/api/v1/compute/instances", nil, 401), ("/api/v1/workers", nil, 401), ("/api/v1/vms", nil, 401),
                ("/api/v2/vms", nil, 401), ("/internal/v1/identity", nil, 401),
                ("/internal/v1/identity", "flt_not_a_real_key_0000000000", 401),
                ("/api/v1/nope", nil, 404), ("/api/v2/nope/deeper", nil, 404),
            ]
            for (path, key, status) in cases {
                let r = try await Self.answered("GET \(path)?\(Self.far)") {
                    try await api.with(key: key).get("\(path)?\(Self.far)")
                }
                #expect(r.status == status, "\(path): \(r.status) \(r.text)")
                #expect(r.headers[Self.revisionHeader] == nil, "\(path) tells an anonymous caller the revision")
                #expect(!r.text.contains("evision"), "\(path): \(r.text)")
            }
            // A bad min_revision from an anonymous caller is a 401 as well: authentication comes before parsing.
            #expect(try await api.with(key: nil).get("/api/v2/vms?min_revision=-1").status == 401)
            // Open routes ignore an anonymous caller's min_revision and answer at once.
            for path in ["/health", "/api/v1/health", "/api/v1/"] {
                let r = try await Self.answered("GET \(path)?\(Self.far)") { try await api.with(key: nil).get("\(path)?\(Self.far)") }
                #expect(r.status == 200, "\(path): \(r.text)")
            }
            // An authenticated caller on an unknown route: 404 at once, with the revision as before.
            let unknown = try await Self.answered("GET /api/v1/nope as admin") { try await api.get("/api/v1/nope?\(Self.far)") }
            #expect(unknown.status == 404)
            #expect(unknown.headers[Self.revisionHeader] != nil)
        }
    }

    @Test("an authenticated min_revision still waits (bounded) and answers 504 with the revision; -1 is 400")
    func authenticatedMinRevision() async throws {
        try await Self.withRouter(consistencyWait: .milliseconds(300)) { api, _ in
            let r = try await api.get("/api/v1/compute/instances?\(Self.far)")
            #expect(r.status == 504, "\(r.text)")
            #expect(r.errorCode == "TIMEOUT")
            #expect(r.headers[Self.revisionHeader] != nil)
            #expect(try await api.get("/api/v2/vms?min_revision=-1").status == 400)
            #expect(try await api.get("/api/v1/vms?min_revision=abc").status == 422)
            let open = try await api.get("/health?\(Self.far)")
            #expect(open.status == 504, "an authenticated caller's min_revision holds on open routes too: \(open.text)")
        }
    }

    /// `call`, answered before `cap` runs out (polled: a generous bound, not a timing assertion; the routes
    /// under test would otherwise wait for the host's whole consistency wait).
    static func answered(_ what: String, cap: Duration = .seconds(20), _ call: @escaping @Sendable () async throws -> Reply)
        async throws -> Reply
    {
        let box = LockedBox<Reply?>(nil)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let reply = try await call()
                box.withLock { $0 = reply }
            }
            defer { group.cancelAll() }
            try await eventually("\(what) answered without waiting", timeout: cap) { box.value != nil }
            return try #require(box.value)
        }
    }

    /// A test host's router over its own services, with `consistencyWait` set.
    static func withRouter(
        consistencyWait: Duration, _ body: @escaping @Sendable (HTTPProbe, TestHost) async throws -> Void
    ) async throws {
        try await TestHost.with(configure: { $0.consistencyWait = consistencyWait }) { host in
            let h = host.host
            let deps = ServerDependencies(
                store: h.store, registry: h.registry, instances: h.instances, keys: h.keys, backends: h.backends,
                identity: h.identity, version: FlotillaHost.version, credential: h.clusterCredential)
            try await Application(router: FlotillaRouter.build(deps).0).test(.router) { client in
                try await body(HTTPProbe(client: client, key: host.adminKey), host)
            }
        }
    }

    // MARK: Finding 8: an abandoned upload is not an error

    @Test("an upload the client abandons mid-body is logged at debug level, never as an error")
    func abandonedUpload() async throws {
        let capture = LogCapture()
        try await TestHost.with(logger: capture.logger(level: .debug)) { host in
            try await Application(router: host.host.router()).test(.live) { client in
                try await Self.abandonUpload(port: try #require(client.port), capture: capture)
            }
        }
    }

    static func abandonUpload(port: Int, capture: LogCapture) async throws {
        // The headers promise 100,000 bytes; ten arrive, then the client goes away.
        let head =
            "POST /api/v1/compute/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: \(TestHost.adminSecret)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"name\":\"x"
        let socket = try LoopbackSocket.connect(port: port)
        try socket.send(head)
        socket.close()
        try await eventually("the server saw the abandoned upload") {
            capture.all.contains { $0.message.contains("abandoned") || $0.message.contains("unexpected error") }
        }
        let errors = capture.all.filter { $0.level == .error || $0.level == .critical }
        #expect(errors.isEmpty, "\(errors)")
        #expect(capture.all.contains { $0.level == .debug && $0.message.contains("abandoned") })
    }
}
