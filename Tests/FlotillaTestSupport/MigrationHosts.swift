import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Two `flotilla serve` hosts, `a` and `b`, with the kvm backend under TCG on one real 3-member etcd cluster: the
/// fixture of the migration tests (docs/decisions/0027-live-migration.md). Everything it starts is pushed on the
/// caller's ``FixtureStack`` (etcd first, then the QEMU killer and the folders, then the hosts), so the stack stops
/// the hosts, then kills any QEMU left under their folders, then stops etcd, whatever the test did.
///
/// `perHost` adds serve arguments (a `--vm-netns` of the host's own), `environment` adds variables (a dockerd's
/// socket). ``restart(_:)`` starts a host again on its folder after the test killed it.
public struct MigrationHosts: Sendable {
    public static let apiKey = "flt_migration_process_test_key_0123"
    public static let ids = ["a", "b"]

    public let etcd: EtcdCluster
    public let hosts: [String: ServeProcess]
    /// Each host's data folder (its QEMUs' folders are under `<dir>/kvm/<id>`).
    public let dataDirs: [String: String]
    let arguments: [String: [String]]
    let environments: [String: [String: String]]
    let backends: String

    // The fixture starts exactly the hosts in `ids`, a and b.
    // swift-format-ignore: NeverForceUnwrap
    public var a: ServeProcess { hosts["a"]! }
    // The fixture starts exactly the hosts in `ids`, a and b.
    // swift-format-ignore: NeverForceUnwrap
    public var b: ServeProcess { hosts["b"]! }

    /// Starts etcd and both hosts; `a` starts first (the leader, most of the time: nothing depends on it).
    public static func start(
        _ stack: FixtureStack, label: String, backends: String = "sim,kvm", perHost: [String: [String]] = [:],
        environment: [String: [String: String]] = [:]
    ) async throws -> MigrationHosts {
        let etcd = try await stack.etcd(size: 3)
        let root = KVMTestSupport.temporaryDirectory("mig-\(label)")
        await stack.push("QEMUs under \(root) and the folder") {
            KVMTestSupport.killQEMUs(under: root)
            try? FileManager.default.removeItem(atPath: root)
        }
        var arguments: [String: [String]] = [:]
        var dirs: [String: String] = [:]
        var hosts: [String: ServeProcess] = [:]
        for id in ids {
            let dir = "\(root)/\(id)"
            let hostArguments =
                etcd.serveArguments + ["--cluster-secret", "migration-test-secret", "--host-id", id, "--kvm-accel", "tcg"]
                + (perHost[id] ?? [])
            dirs[id] = dir
            arguments[id] = hostArguments
            hosts[id] = try await stack.serve(
                dataDir: dir, apiKey: apiKey, extra: hostArguments, backends: backends, environment: environment[id] ?? [:],
                stopSignal: SIGKILL)
        }
        return MigrationHosts(
            etcd: etcd, hosts: hosts, dataDirs: dirs, arguments: arguments, environments: environment, backends: backends)
    }

    /// Starts host `id` again on its folder, with the same arguments (after the test killed it); stopped by the stack.
    public func restart(_ id: String, on stack: FixtureStack) async throws -> ServeProcess {
        try await stack.serve(
            dataDir: try #require(dataDirs[id]), apiKey: Self.apiKey, extra: try #require(arguments[id]), backends: backends,
            environment: environments[id] ?? [:], stopSignal: SIGKILL)
    }

    /// The folder of instance `id`'s QEMU files on host `host`.
    // Called with the ids of the fixture's hosts.
    // swift-format-ignore: NeverForceUnwrap
    public func kvmFolder(_ host: String, instance id: String) -> String { "\(dataDirs[host]!)/kvm/\(id)" }

    /// The pid of the QEMU of instance `id` on host `host`, when its pid file names a live process.
    public func qemuPid(_ host: String, instance id: String) -> Int32? {
        guard let text = try? String(contentsOfFile: kvmFolder(host, instance: id) + "/qemu.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), KVMTestSupport.isAlive(pid)
        else { return nil }
        return pid
    }

    /// The QEMU processes whose command line mentions `text` (an instance id), with their pids.
    public static func qemus(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: data, as: UTF8.self)
            return line.contains("qemu-system") && line.contains(text)
        }
    }

    // MARK: HTTP

    /// One request to `host` with the fixture's API key: its status and body (at most 4 MiB). `timeout` bounds the
    /// whole exchange; a migration answers only once it finished, so the callers give it minutes.
    public static func send(
        _ method: HTTPMethod, _ host: ServeProcess, _ path: String, json body: String? = nil, timeout: Duration = .seconds(30)
    ) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: host.url + path)
        request.method = method
        request.headers.add(name: "X-API-Key", value: apiKey)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout.components.seconds))
        let data = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), Data(data.readableBytesView))
    }

    /// A JSON object answer as a dictionary (nil when it is not one).
    public static func object(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
