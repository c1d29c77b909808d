import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import FlotillaServer

/// The audit trail (ADR 0018) on a live in-process host (real sockets, so every record has a remote address):
/// one record for every call to every mutating route (read from the route table, so a new route that is not
/// recorded fails here), every refusal recorded, paging and filters, no secret in any record or log line,
/// retention by the leader, and a forwarded call recorded once, by the host the client called.
@Suite("Audit trail")
struct AuditTrailTests {
    static let clusterSecret = "audit-test-cluster-secret-0123456789"

    /// A host with its router on a real loopback socket.
    static func withLiveProbe<T: Sendable>(
        logger: Logger? = nil, configure: @escaping @Sendable (inout HostConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (HTTPProbe, TestHost) async throws -> T
    ) async throws -> T {
        try await TestHost.with(
            logger: logger,
            configure: { config in
                config.clusterSecret = clusterSecret
                configure(&config)
            }
        ) { host in
            let app = Application(router: host.host.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            let box = ResultBox<T>()
            try await app.test(.live) { client in
                box.value = try await body(HTTPProbe(client: client, key: host.adminKey), host)
            }
            return try #require(box.value)
        }
    }

    /// Every record of the trail (one page of up to 1000), as JSON objects.
    static func trail(_ probe: HTTPProbe, query: String = "") async throws -> [[String: Any]] {
        let reply = try await probe.with(key: TestHost.adminSecret).get("/api/v2/audit?limit=1000\(query)")
        #expect(reply.status == 200, "\(reply.text)")
        return reply.json["records"] as? [[String: Any]] ?? []
    }

    static func records(_ trail: [[String: Any]], requestId: String) -> [[String: Any]] {
        trail.filter { $0["request_id"] as? String == requestId }
    }

    /// Creates a key with `role`; returns its id and secret.
    static func createKey(_ probe: HTTPProbe, _ name: String, _ role: String) async throws -> (id: String, secret: String) {
        let r = try await probe.with(key: TestHost.adminSecret).post("/api/v1/keys", #"{"name":"\#(name)","role":"\#(role)"}"#)
        #expect(r.status == 201, "\(r.text)")
        return (try #require(r["id"]), try #require(r["key"]))
    }

    static func header(_ id: String) -> HTTPFields { [.requestId: id] }

    @Test("every mutating route in the route table: exactly one record, naming the route, key, address and request id")
    func everyMutatingRoute() async throws {
        try await Self.withLiveProbe { probe, host in
            let keys = try await probe.get("/api/v1/keys").json["keys"] as? [[String: Any]] ?? []
            let admin = try #require(keys.first { $0["role"] as? String == "admin" })
            let routes = host.host.routes.all.filter { !$0.cluster && $0.method != .get && $0.method != .head }
            #expect(routes.count >= 30, "the route table lists \(routes.count) mutating routes")
            var sent: [(RouteEntry, String, Reply)] = []
            for (index, route) in routes.enumerated() {
                let id = "route-\(index)"
                let body = route.method == .delete ? nil : "{}"
                let reply = try await probe.call(route.method, AuthMatrixTests.target(route), json: body, headers: Self.header(id))
                #expect(reply.headers[.requestId] == id, "\(route.method) \(route.path) answered without its request id")
                sent.append((route, id, reply))
            }
            let trail = try await Self.trail(probe)
            for (route, id, reply) in sent {
                let found = Self.records(trail, requestId: id)
                #expect(found.count == 1, "\(route.method) \(route.path): \(found.count) records")
                guard let r = found.first else { continue }
                #expect(r["route"] as? String == route.path)
                #expect(r["method"] as? String == route.method.rawValue)
                #expect(r["status"] as? Int == reply.status, "\(route.path): recorded \(r["status"] ?? "-"), answered \(reply.status)")
                #expect(r["key_id"] as? String == admin["id"] as? String)
                #expect(r["key_name"] as? String == admin["name"] as? String)
                #expect(r["role"] as? String == "admin")
                #expect((r["remote_address"] as? String)?.hasPrefix("127.0.0.1:") == true, "\(r)")
                #expect(r["surface"] as? String == AuditRecorder.surfaceName(path: route.path))
                let target = route.path.contains(":") ? AuthMatrixTests.missing : nil
                #expect(r["target_id"] as? String == target, "\(route.path)")
            }
        }
    }

    @Test("401 (no key, unknown key) and 403 are recorded, on GET routes too; a successful GET is not")
    func refusals() async throws {
        try await Self.withLiveProbe { probe, _ in
            let reader = try await Self.createKey(probe, "ro", "reader")
            let body = GlobalRoutesTests.createBody("refused")
            let none = try await probe.with(key: nil).call(.post, "/api/v2/vms", json: body, headers: Self.header("no-key"))
            let wrong = try await probe.with(key: "flt_not_a_key_0123456789abcdef").call(
                .post, "/api/v2/vms", json: body, headers: Self.header("wrong-key"))
            let weak = try await probe.with(key: reader.secret).call(.post, "/api/v2/vms", json: body, headers: Self.header("reader"))
            let readRefused = try await probe.with(key: nil).call(.get, "/api/v1/keys", headers: Self.header("get-no-key"))
            let read = try await probe.with(key: reader.secret).call(.get, "/api/v2/vms", headers: Self.header("get-ok"))
            let statuses: [Int] = [none.status, wrong.status, weak.status, readRefused.status, read.status]
            #expect(statuses == [401, 401, 403, 401, 200])
            let trail = try await Self.trail(probe)
            for (id, status) in [("no-key", 401), ("wrong-key", 401), ("get-no-key", 401)] {
                let found = Self.records(trail, requestId: id)
                #expect(found.count == 1, "\(id)")
                #expect(found.first?["status"] as? Int == status)
                #expect(found.first.map { !$0.keys.contains("key_id") && !$0.keys.contains("role") } == true, "\(id): \(found)")
            }
            let refused = try #require(Self.records(trail, requestId: "reader").first)
            #expect(refused["status"] as? Int == 403)
            #expect(refused["key_id"] as? String == reader.id && refused["key_name"] as? String == "ro")
            #expect(refused["role"] as? String == "reader" && refused["route"] as? String == "/api/v2/vms")
            #expect(Self.records(trail, requestId: "get-ok").isEmpty)
        }
    }

    @Test("a 429 is recorded with the key that was refused, on a GET route too")
    func rateLimited() async throws {
        try await Self.withLiveProbe(configure: { config in
            config.rateLimits = (try? RateLimits.parse("reader=1/1")) ?? config.rateLimits
        }) { probe, _ in
            let reader = try await Self.createKey(probe, "slow", "reader")
            var statuses: [Int] = []
            for i in 0..<4 {
                statuses.append(try await probe.with(key: reader.secret).call(.get, "/api/v2/vms", headers: Self.header("rl-\(i)")).status)
            }
            #expect(statuses.contains(429), "\(statuses)")
            let trail = try await Self.trail(probe)
            for (i, status) in statuses.enumerated() {
                let found = Self.records(trail, requestId: "rl-\(i)")
                // Allowed GETs are not recorded; each 429 is, once, naming the reader's key.
                #expect(found.count == (status == 429 ? 1 : 0), "rl-\(i) answered \(status)")
                if let r = found.first {
                    #expect(r["status"] as? Int == 429 && r["key_id"] as? String == reader.id && r["role"] as? String == "reader")
                }
            }
        }
    }

    @Test("cursor paging returns every record once, in order; filters key, target, since; bad queries 400; non-admin 403")
    func pagingAndFilters() async throws {
        try await Self.withLiveProbe { probe, _ in
            let op = try await Self.createKey(probe, "op", "operator")
            for i in 0..<7 {
                // Records show whole seconds: op-4 and later come in a later second than op-3, so `since` tells them apart.
                if i == 4 { try await Task.sleep(for: .milliseconds(1100)) }
                _ = try await probe.with(key: op.secret).call(.delete, "/api/v2/vms/tgt-\(i)", headers: Self.header("op-\(i)"))
            }
            let all = try await Self.trail(probe)
            let ids = all.compactMap { $0["id"] as? String }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count && ids.count >= 8)
            var paged: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let q = "/api/v2/audit?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await probe.get(q)
                #expect(page.status == 200, "\(page.text)")
                let records = page.json["records"] as? [[String: Any]] ?? []
                #expect(records.count <= 3)
                paged += records.compactMap { $0["id"] as? String }
                cursor = page.json["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 20
            #expect(paged == ids)
            let byName = try await Self.trail(probe, query: "&key=op")
            #expect(byName.count == 7 && byName.allSatisfy { $0["key_id"] as? String == op.id })
            #expect(try await Self.trail(probe, query: "&key=\(op.id)").count == 7)
            let target = try await Self.trail(probe, query: "&target=tgt-3")
            #expect(target.compactMap { $0["request_id"] as? String } == ["op-3"])
            let fourth = try #require(Self.records(all, requestId: "op-4").first?["at"] as? String)
            let since = try await Self.trail(probe, query: "&since=\(fourth)")
            let cutoff = try #require(AuditQuery.parseTime(fourth))
            let expected = all.filter { (AuditQuery.parseTime($0["at"] as? String ?? "") ?? .distantPast) >= cutoff }
            #expect(since.compactMap { $0["id"] as? String } == expected.compactMap { $0["id"] as? String })
            let sinceIds = since.compactMap { $0["request_id"] as? String }
            #expect(sinceIds.filter { $0.hasPrefix("op-") } == ["op-4", "op-5", "op-6"])
            for bad in ["bogus=1", "limit=0", "limit=1001", "since=yesterday", "cursor=not-a-cursor", "key="] {
                let r = try await probe.get("/api/v2/audit?\(bad)")
                #expect(r.status == 400 && r.errorCode == "VALIDATION_ERROR", "\(bad): \(r.status) \(r.text)")
            }
            let forbidden = try await probe.with(key: op.secret).call(.get, "/api/v2/audit", headers: Self.header("op-audit"))
            #expect(forbidden.status == 403 && forbidden.errorCode == "FORBIDDEN")
            #expect(Self.records(try await Self.trail(probe), requestId: "op-audit").first?["status"] as? Int == 403)
        }
    }

    @Test("no secret in any audit record or log line: the keys', a wrong one, the cluster secret and its token")
    func noSecrets() async throws {
        let capture = LogCapture()
        try await Self.withLiveProbe(logger: capture.logger(label: "flotilla", level: .trace)) { probe, host in
            var secrets = [TestHost.adminSecret, "flt_not_a_key_0123456789abcdef", Self.clusterSecret, host.host.clusterCredential.token]
            for role in ["admin", "operator", "reader"] {
                let key = try await Self.createKey(probe, "k-\(role)", role)
                secrets.append(key.secret)
                _ = try await probe.with(key: key.secret).post("/api/v2/vms", GlobalRoutesTests.createBody("s-\(role)"))
                _ = try await probe.with(key: key.secret).delete("/api/v1/keys/missing-\(role)")
            }
            _ = try await probe.with(key: "flt_not_a_key_0123456789abcdef").post("/api/v2/vms", "{}")
            let forwarded: HTTPFields = [.clusterToken: host.host.clusterCredential.token, .forwardedBy: "other-host"]
            _ = try await probe.call(.post, "/api/v1/vms/\(AuthMatrixTests.missing)/sync", headers: forwarded)
            let reply = try await probe.get("/api/v2/audit?limit=1000")
            #expect((reply.json["records"] as? [Any])?.count ?? 0 >= 8)
            let logs = capture.all.map { "\($0.message) \($0.details)" }
            #expect(!logs.isEmpty)
            for secret in secrets {
                #expect(!reply.text.contains(secret), "a secret in the audit trail")
                #expect(!logs.contains { $0.contains(secret) }, "a secret in a log line")
            }
        }
    }

    @Test("the leader prunes the trail to its bounds: the newest records stay")
    func retention() async throws {
        try await Self.withLiveProbe(configure: { config in
            config.auditRetention = AuditRetention(maxRecords: 3, maxAge: 86_400)
            config.auditPruneInterval = .milliseconds(200)
        }) { probe, _ in
            for i in 0..<6 {
                _ = try await probe.with(key: nil).call(.post, "/api/v2/vms", json: "{}", headers: Self.header("p-\(i)"))
            }
            // The duty runs every 200 ms once this host leads; 20 s is a generous cap for a loaded machine.
            var kept: [String] = []
            try await eventually("the trail pruned to 3 records", timeout: .seconds(20)) {
                kept = try await Self.trail(probe).compactMap { $0["request_id"] as? String }
                return kept.count == 3
            }
            #expect(kept == ["p-3", "p-4", "p-5"])
        }
    }

    @Test("a call another host forwarded is answered under its request id and not recorded again here")
    func forwardedIsNotRecordedTwice() async throws {
        let capture = LogCapture()
        try await Self.withLiveProbe(logger: capture.logger(label: "flotilla", level: .debug)) { probe, host in
            let forwarded: HTTPFields = [
                .clusterToken: host.host.clusterCredential.token, .forwardedBy: "h0", .requestId: "fwd-from-h0",
            ]
            let r = try await probe.call(.delete, "/api/v2/vms/\(AuthMatrixTests.missing)", headers: forwarded)
            #expect(r.status == 404 && r.headers[.requestId] == "fwd-from-h0")
            #expect(Self.records(try await Self.trail(probe), requestId: "fwd-from-h0").isEmpty)
            #expect(capture.all.contains { $0.details.contains("requestId=fwd-from-h0") && $0.details.contains("forwardedBy=h0") })
        }
    }

    @Test("a call this host forwards to the owner is recorded once, here, and the owner gets the same request id")
    func forwardingHostRecordsOnce() async throws {
        let owner = try EchoServer.start()
        do {
            try await Self.withLiveProbe { probe, host in
                try await WorkerFixture.register(host, id: "owner", zone: "zo", leaseTTL: .seconds(120))
                // The fixture's worker listens nowhere: point it at a server that shows what it receives.
                let key = StoreKeys.worker("owner")
                var worker = try StoreCodec.decode(Worker.self, from: try #require(try await host.host.store.get(key)).value)
                let address = "http://\(owner.address)"
                worker.address = address
                try await host.host.store.put(key, value: try StoreCodec.encode(worker))
                let body =
                    #"{"name":"fwd","kind":"vm","backend":"sim","image":"busybox","resources":{"cpu_cores":0.5,"memory_mb":64},"placement":{"worker_id":"owner"}}"#
                let id = try #require(try await probe.post("/api/v2/vms", body)["id"])
                let placed = await host.host.registry.wait(timeout: .seconds(15)) {
                    $0.instances[id]?.value.workerId == "owner" && $0.workers["owner"]?.value.address == address
                }
                #expect(placed != nil)
                let r = try await probe.call(.post, "/api/v1/vms/\(id)/sync", headers: Self.header("sync-1"))
                #expect(r.headers[.requestId] == "sync-1")
                // The echo server is no HTTP server: the relay fails, but the owner got the request, with the id.
                try await eventually("the owner received the call") { owner.receivedText.contains("/sync") }
                #expect(owner.receivedText.lowercased().contains("x-request-id: sync-1"), "\(owner.receivedText)")
                let found = Self.records(try await Self.trail(probe), requestId: "sync-1")
                #expect(found.count == 1)
                #expect(found.first?["route"] as? String == "/api/v1/vms/:uuid/sync" && found.first?["status"] as? Int == r.status)
            }
        } catch {
            await owner.close()
            throw error
        }
        await owner.close()
    }
}
