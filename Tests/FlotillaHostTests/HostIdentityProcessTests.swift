import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One host, one identity (ADR 0010), with real `flotilla serve` processes: one `serve` per data folder, a
/// host that cannot listen never registers, and (on etcd, in the nested suite) a host id used by a live
/// host of another data folder is refused without a write.
@Suite("One data folder, one host; a host that cannot listen never registers", .serialized)
struct HostIdentityProcessTests {
    static let key = "flt_identity_process_test_key_012"

    @Test(
        "a second serve on the same data folder exits non-zero at once, naming the folder and the holder's pid; the first keeps its record and keeps serving; after kill -9 the folder is free again"
    )
    func secondServeOnTheSameFolder() async throws {
        try await withTemporaryDirectory { dir in
            let folder = URL(fileURLWithPath: dir).standardizedFileURL.path
            var firstPID: Int32 = 0
            try await Self.withHost(dataDir: dir) { first in
                firstPID = first.pid
                let before = try await Self.client(first) { try await $0.worker(id: "proc-host") }
                let second = try await ServeProcess.runUntilExit(
                    dataDir: dir, apiKey: Self.key, extra: ["--zone", "elsewhere", "--label", "who=second"])
                #expect(second.status == 1)
                #expect(
                    second.err
                        == "error: the data folder \(folder) is in use by another flotilla serve (pid \(first.pid)); "
                        + "stop it or choose another --data-dir\n")
                #expect(!second.out.contains("listening on"))
                let after = try await Self.client(first) { try await $0.worker(id: "proc-host") }
                #expect(after.address == before.address && after.address == first.url)
                #expect(after.capabilities == before.capabilities && after.zone == nil && after.labels.isEmpty)
                #expect(after.status == "active")
                #expect(first.isRunning)
                #expect(await first.stop(signal: SIGKILL) == SIGKILL)
            }
            // The kernel released the lock of the killed process: the folder serves again at once.
            try await Self.withHost(dataDir: dir) { again in
                #expect(again.pid != firstPID)
                let worker = try await Self.client(again) { try await $0.worker(id: "proc-host") }
                #expect(worker.address == again.url && worker.status == "active")
                let lock = try String(contentsOfFile: folder + "/flotilla.lock", encoding: .utf8)
                #expect(lock == "\(again.pid)\n")
            }
        }
    }

    @Test(
        "an address in use: serve exits non-zero with one line naming it, and nothing of that host is registered",
        arguments: ["--listen", "--grpc-listen"])
    func addressInUse(option: String) async throws {
        try await withTemporaryDirectory { dir in
            try await Self.withHost(dataDir: dir + "/a") { a in
                let busy = String(a.url.dropFirst("http://".count))
                let failed = try await ServeProcess.runUntilExit(
                    dataDir: dir + "/b", apiKey: Self.key, extra: ["--host-id", "busy-host", option, busy])
                #expect(failed.status == 1)
                #expect(failed.err == "error: cannot listen on \(busy): address already in use (\(option) chooses another address)\n")
                #expect(!failed.out.contains("listening on"))
                #expect(a.isRunning)
            }
            // The failed host's own store: a host started on that folder sees no worker but itself.
            try await Self.withHost(dataDir: dir + "/b", extra: ["--host-id", "checker"]) { checker in
                let workers = try await Self.client(checker) { try await $0.listWorkers() }.workers.map(\.id)
                #expect(workers == ["checker"])
            }
        }
    }

    /// Starts a host, runs `body`, then stops it (awaited, whatever happens); a failure shows its log.
    static func withHost(
        dataDir: String, extra: [String] = [], _ body: (ServeProcess) async throws -> Void
    ) async throws {
        try await FixtureStack.with { stack in
            try await body(try await stack.serve(dataDir: dataDir, apiKey: key, extra: extra))
        }
    }

    static func client<T: Sendable>(_ host: ServeProcess, _ body: (FlotillaClient) async throws -> T) async throws -> T {
        try await FlotillaClient.withClient(baseURL: host.url, apiKey: key, timeout: .seconds(30), body)
    }
}

extension HostIdentityProcessTests {
    /// Two data folders, one host id, one real etcd (a single member: these tests are about identity, not
    /// fail-over). Its name matches scripts/test.sh's serialized phase (`ClusterProcessTests`).
    @Suite(
        "One host id, one live host: etcd", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    struct HostIdentityClusterProcessTests {
        @Test(
            "a host with the same --host-id and another data folder exits non-zero naming the live host; the live host's record is byte for byte unchanged in etcd and it keeps serving"
        )
        func sameHostIdOnAnotherFolder() async throws {
            try await Self.withEtcd { etcd, arguments in
                try await withTemporaryDirectory { dir in
                    try await HostIdentityProcessTests.withHost(
                        dataDir: dir + "/first", extra: arguments + ["--host-id", "twin", "--zone", "z1"]
                    ) { first in
                        let before = try #require(try await Self.get(etcd, "/flotilla/workers/twin"))
                        let second = try await ServeProcess.runUntilExit(
                            dataDir: dir + "/second", apiKey: HostIdentityProcessTests.key,
                            extra: arguments + ["--host-id", "twin", "--zone", "z2", "--label", "who=second"])
                        #expect(second.status == 1)
                        #expect(second.err == "error: \(Self.conflict("twin", at: first.url))\n")
                        #expect(!second.out.contains("listening on"))
                        let after = try await Self.get(etcd, "/flotilla/workers/twin")
                        #expect(after == before, "the record and its revision")
                        let worker = try await HostIdentityProcessTests.client(first) { try await $0.worker(id: "twin") }
                        #expect(worker.status == "active" && worker.address == first.url && worker.zone == "z1")
                        #expect(first.isRunning)
                    }
                }
            }
        }

        @Test(
            "right after kill -9, while its heartbeat still lives, the same data folder starts again as the same host; another folder is still refused"
        )
        func restartAfterKillIsTheSameHost() async throws {
            try await Self.withEtcd { etcd, arguments in
                try await withTemporaryDirectory { dir in
                    let extra = arguments + ["--host-id", "twin"]
                    var killedURL = ""
                    try await HostIdentityProcessTests.withHost(dataDir: dir + "/first", extra: extra) { first in
                        killedURL = first.url
                        #expect(await first.stop(signal: SIGKILL) == SIGKILL)
                    }
                    let alive = try #require(try await Self.get(etcd, "/flotilla/alive/twin"), "the killed host's heartbeat")
                    // The lease TTL (3 s) is shorter than a debug build's start on a loaded machine: the test keeps
                    // the dead host's lease alive itself until the checks are done, as a slower death would.
                    try await Self.keepingAlive(etcd, lease: alive.lease) {
                        let other = try await ServeProcess.runUntilExit(
                            dataDir: dir + "/second", apiKey: HostIdentityProcessTests.key, extra: extra)
                        #expect(other.status == 1)
                        #expect(other.err == "error: \(Self.conflict("twin", at: killedURL))\n")
                        try await HostIdentityProcessTests.withHost(dataDir: dir + "/first", extra: extra) { again in
                            let worker = try await HostIdentityProcessTests.client(again) { try await $0.worker(id: "twin") }
                            #expect(worker.status == "active" && worker.address == again.url)
                            let beat = try #require(try await Self.get(etcd, "/flotilla/alive/twin"))
                            #expect(beat.lease != alive.lease, "the restarted host heartbeats under its own lease")
                            #expect(try await Self.leaseAlive(etcd, alive.lease), "the old heartbeat's lease lived all along")
                        }
                    }
                }
            }
        }

        static func conflict(_ id: String, at address: String) -> String {
            "host id \(id) is already in use by another live host at \(address); start this one with --host-id ID "
                + "(env FLOTILLA_HOST_ID) to choose another, or stop the other one first"
        }

        /// Starts a one-member etcd, runs `body` with the `serve` arguments that use it, then removes it.
        static func withEtcd(_ body: (EtcdCluster, [String]) async throws -> Void) async throws {
            let etcd = try await EtcdCluster.start(size: 1)
            let store = "etcd://" + etcd.endpoints.map { $0.replacingOccurrences(of: "http://", with: "") }.joined(separator: ",")
            do {
                try await body(etcd, ["--store", store, "--cluster-secret", "identity-test-secret"])
            } catch {
                await etcd.tearDown()
                throw error
            }
            await etcd.tearDown()
        }

        /// Runs `body` while a task renews `lease` every 500 ms; the task is cancelled and awaited at the end.
        static func keepingAlive(_ etcd: EtcdCluster, lease: String, _ body: () async throws -> Void) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        _ = try? await gateway(etcd, "/v3/lease/keepalive", ["ID": lease])
                        try? await Task.sleep(for: .milliseconds(500))
                    }
                }
                defer { group.cancelAll() }
                try await body()
            }
        }

        /// One key as etcd holds it: its value, the revision of its last write, and its lease ("0": none).
        struct StoredKey: Equatable {
            var value: Data
            var modRevision: String
            var lease: String
        }

        /// Reads `key` through etcd's JSON gateway.
        static func get(_ etcd: EtcdCluster, _ key: String) async throws -> StoredKey? {
            let answer = try await gateway(etcd, "/v3/kv/range", ["key": Data(key.utf8).base64EncodedString()])
            guard let kv = (answer["kvs"] as? [[String: Any]])?.first else { return nil }
            return StoredKey(
                value: Data(base64Encoded: kv["value"] as? String ?? "") ?? Data(), modRevision: kv["mod_revision"] as? String ?? "",
                lease: kv["lease"] as? String ?? "0")
        }

        /// Whether `lease` still lives (its time to live is not -1).
        static func leaseAlive(_ etcd: EtcdCluster, _ lease: String) async throws -> Bool {
            let answer = try await gateway(etcd, "/v3/lease/timetolive", ["ID": lease])
            return (answer["TTL"] as? String).flatMap(Int.init).map { $0 > 0 } ?? false
        }

        /// One call to the JSON gateway of the first member, with a 5 s deadline.
        static func gateway(_ etcd: EtcdCluster, _ path: String, _ body: [String: String]) async throws -> [String: Any] {
            var request = URLRequest(url: try #require(URL(string: etcd.endpoints[0] + path)), timeoutInterval: 5)
            request.httpMethod = "POST"
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            let (data, response) = try await URLSession.shared.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                throw ProcessFailure("etcd \(path): \(String(decoding: data, as: UTF8.self))")
            }
            var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            // Streaming calls (keep-alive) answer {"result": {...}}.
            if let result = object["result"] as? [String: Any] { object = result }
            return object
        }
    }
}
