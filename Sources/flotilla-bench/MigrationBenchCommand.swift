import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Live migration of a kvm VM between two `flotilla serve` hosts on one etcd (issue 17's benchmark,
/// docs/decisions/0027-live-migration.md): one VM of the test guest moved back and forth `runs` times with
/// `POST /api/v2/vms/{id}/migrate {"live":true,"target":...}`. Reports the medians of QEMU's own figures from the
/// answer's `migration.figures` (total time, downtime), of the request's wall time, and of what the console shows:
/// the guest prints a counter every second, so the gap between the last counter line seen on the source's console
/// and the first on the destination's is one second plus the pause the guest could see (coarse: a pause shorter
/// than the rest of the second hides in it; the files are polled every 5 ms).
struct MigrationBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Live migration of a kvm VM between two hosts: total time and downtime.")

    @Option(help: "Migrations (median reported).") var runs = 5
    @Option(help: "Guest memory, MiB.") var memoryMb = 128
    @Option(help: "The flotilla binary (default: next to this one).") var flotilla: String?
    @Option(help: "The etcd binary.") var etcd = "/usr/bin/etcd"
    @Option(help: "Kernel (default: built by scripts/guest-image.sh).") var kernel: String?
    @Option(help: "Initrd (default: built by scripts/guest-image.sh).") var initrd: String?

    static let key = "flt_bench_migration_key_0123456789ab"

    func run() async throws {
        let binary = flotilla ?? (CommandLine.arguments[0] as NSString).deletingLastPathComponent + "/flotilla"
        let (kernelPath, initrdPath) = try KVMBenchCommand.guest(kernel: kernel, initrd: initrd)
        let dir = "/tmp/flt-migbench-\(UUID().uuidString.prefix(8).lowercased())"
        let store = try await BenchEtcd.start(binary: etcd, directory: dir + "/etcd")
        var hosts: [BenchServe] = []
        do {
            for id in ["a", "b"] {
                let arguments = [
                    "--backends", "kvm", "--kvm-accel", "tcg", "--store", "etcd://" + store.endpoint.dropFirst("http://".count),
                    "--cluster-secret", "bench-secret",
                ]
                hosts.append(
                    try await BenchServe.start(binary: binary, id: id, dataDir: "\(dir)/\(id)", apiKey: Self.key, arguments: arguments))
            }
            try await importGuest(binary, hosts[0], kernelPath, initrdPath)
            print(try await measure(hosts, dataDirs: ["a": "\(dir)/a", "b": "\(dir)/b"]))
        } catch {
            for host in hosts { FileHandle.standardError.write(Data("--- host log tail:\n\(host.log.suffix(3000))\n".utf8)) }
            await stopAll(hosts, store, dir)
            throw error
        }
        await stopAll(hosts, store, dir)
    }

    private func stopAll(_ hosts: [BenchServe], _ store: BenchEtcd, _ dir: String) async {
        for host in hosts.reversed() { await host.stop() }
        Self.killQEMUs(under: dir)
        store.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func importGuest(_ binary: String, _ host: BenchServe, _ kernel: String, _ initrd: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["image", "import", "bench-guest", "--name", "Bench guest", "--kernel", kernel, "--initrd", initrd]
        var environment = ProcessInfo.processInfo.environment
        environment["FLOTILLA_URL"] = host.url
        environment["FLOTILLA_API_KEY"] = Self.key
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("image import failed (\(process.terminationStatus))") }
    }

    private func measure(_ hosts: [BenchServe], dataDirs: [String: String]) async throws -> String {
        let created = try await send(
            .POST, hosts[0].url + "/api/v2/vms?wait=running",
            #"{"name":"bench-mig","backend":"kvm","image":"bench-guest","resources":{"cpu_cores":1,"memory_mb":\#(memoryMb)}}"#,
            timeout: .seconds(300))
        guard let id = created["id"] as? String, var from = (created["host"] as? [String: Any])?["id"] as? String else {
            throw BenchError("create failed: \(created)")
        }
        func console(_ host: String) -> String {
            guard let dataDir = dataDirs[host] else { preconditionFailure("no data folder for host \(host)") }
            return "\(dataDir)/kvm/\(id)/console.log"
        }
        // Asked of the source itself, which drives the move: the figures are the migration's, not a routed hop's.
        func owner(_ host: String) -> BenchServe { host == "a" ? hosts[0] : hosts[1] }
        try await waitUntil(seconds: 600) { Self.lastTick(console(from)) ?? -1 >= 3 }

        var totals: [Double] = [], downtimes: [Double] = [], walls: [Double] = [], gaps: [Double] = [], lost: [Int] = []
        // A failed move is counted and reported, and the next attempt goes the same way (the VM stays on its source);
        // at most twice as many attempts as runs.
        var failures: [String] = []
        var attempt = 0
        while totals.count < runs && attempt < 2 * runs {
            attempt += 1
            let run = totals.count
            let to = from == "a" ? "b" : "a"
            // The destination's file may still be there from the guest's last stay: only its changes count.
            let watch = TickWatch(paths: [from: console(from), to: console(to)], ignoringFirst: [to])
            let watcher = Task { await watch.run() }
            let started = ContinuousClock.now
            let answer: [String: Any]
            do {
                answer = try await send(
                    .POST, owner(from).url + "/api/v2/vms/\(id)/migrate", #"{"live":true,"target":"\#(to)"}"#, timeout: .seconds(300))
                // The destination's first counter lines, then stop watching.
                try await waitUntil(seconds: 30) { watch.firstTick(on: to) != nil }
            } catch {
                watcher.cancel()
                await watcher.value
                failures.append("attempt \(attempt) \(from)->\(to): \(error)")
                FileHandle.standardError.write(Data("attempt \(attempt) \(from)->\(to) FAILED: \(error)\n".utf8))
                try await Task.sleep(for: .seconds(2))
                continue
            }
            watcher.cancel()
            await watcher.value
            walls.append((ContinuousClock.now - started) / .milliseconds(1))
            let migration = answer["migration"] as? [String: Any] ?? [:]
            guard migration["mode"] as? String == "live", migration["outcome"] as? String == "moved",
                let figures = migration["figures"] as? [String: Any]
            else { throw BenchError("run \(run + 1): not moved live: \(answer)") }
            totals.append((figures["total_ms"] as? NSNumber)?.doubleValue ?? 0)
            downtimes.append((figures["downtime_ms"] as? NSNumber)?.doubleValue ?? 0)
            if let last = watch.lastTick(on: from), let first = watch.firstTick(on: to) {
                gaps.append((first.at - last.at) / .milliseconds(1))
                lost.append(first.value - last.value - 1)
            }
            FileHandle.standardError.write(
                Data(
                    "run \(run + 1)/\(runs) \(from)->\(to): total \(totals.last.map { "\(Int($0)) ms" } ?? "-"), downtime \(downtimes.last.map { "\(Int($0)) ms" } ?? "-"), request \(walls.last.map { "\(Int($0)) ms" } ?? "-"), console gap \(gaps.last.map { "\(Int($0)) ms" } ?? "-")\n"
                        .utf8))
            from = to
            try await Task.sleep(for: .seconds(2))
        }
        _ = try? await send(.DELETE, hosts[0].url + "/api/v2/vms/\(id)?force=true", nil, timeout: .seconds(60))
        let machine = "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
        func list(_ values: [Double]) -> String { values.map { "\(Int($0))" }.joined(separator: ", ") }
        return """
            flotilla-bench migrate: \(totals.count) live migrations of one \(memoryMb) MiB guest back and forth between two hosts (accel tcg, one etcd), \(machine), \(ISO8601DateFormatter().string(from: Date()))
            QEMU total time:     median \(Int(KVMBenchCommand.median(totals))) ms  (runs: \(list(totals)))  goal < 5000
            QEMU downtime:       median \(Int(KVMBenchCommand.median(downtimes))) ms  (runs: \(list(downtimes)))  goal < 300
            migrate request:     median \(Int(KVMBenchCommand.median(walls))) ms  (runs: \(list(walls)))
            console gap (last counter line on the source -> first on the destination; 1000 ms of it is the counter's own
            second): median \(Int(KVMBenchCommand.median(gaps))) ms  (runs: \(list(gaps))); counter values skipped: \(lost.map(String.init).joined(separator: ", "))
            failed moves: \(failures.count) of \(attempt)\(failures.isEmpty ? "" : "\n" + failures.joined(separator: "\n"))
            """
    }

    // MARK: Support

    private func send(_ method: HTTPMethod, _ url: String, _ body: String?, timeout: Duration) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "X-API-Key", value: Self.key)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout.components.seconds))
        let data = try await response.body.collect(upTo: 4 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
        guard response.status.code < 300 else { throw BenchError("\(method) \(url): \(response.status) \(String(buffer: data))") }
        return object
    }

    private func waitUntil(seconds: Int, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw BenchError("timed out after \(seconds) s") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The last counter value in a console file (nil: none yet, or no file).
    static func lastTick(_ path: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data.suffix(4096), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).reversed().lazy.compactMap { line -> Int? in
            guard line.hasPrefix("FLOTILLA-TICK ") else { return nil }
            return Int(line.dropFirst("FLOTILLA-TICK ".count).trimmingCharacters(in: .whitespaces))
        }.first
    }

    /// Kills every QEMU whose pid file is under `directory` (a run that failed midway).
    static func killQEMUs(under directory: String) {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return }
        for case let path as String in walker where path.hasSuffix("qemu.pid") {
            guard let text = try? String(contentsOfFile: directory + "/" + path, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                String(decoding: cmdline, as: UTF8.self).contains("qemu-system")
            else { continue }
            kill(pid, SIGKILL)
        }
    }
}

/// When each new counter value first appeared in each host's console file, polled every 5 ms until cancelled.
final class TickWatch: Sendable {
    struct Tick: Sendable {
        var value: Int
        var at: ContinuousClock.Instant
    }

    private let paths: [String: String]
    private let ignoringFirst: Set<String>
    private let seen = Mutex<[String: [Tick]]>([:])

    /// `ignoringFirst`: hosts whose value at the start is not recorded (a file left from an earlier stay).
    init(paths: [String: String], ignoringFirst: Set<String>) {
        self.paths = paths
        self.ignoringFirst = ignoringFirst
    }

    func run() async {
        var last: [String: Int] = [:]
        for host in ignoringFirst { last[host] = paths[host].flatMap(MigrationBenchCommand.lastTick) }
        while !Task.isCancelled {
            for (host, path) in paths {
                guard let value = MigrationBenchCommand.lastTick(path), value != last[host] else { continue }
                last[host] = value
                let now = ContinuousClock.now
                seen.withLock { $0[host, default: []].append(Tick(value: value, at: now)) }
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The last value the source showed before the destination's first.
    func lastTick(on host: String) -> Tick? {
        seen.withLock { s in
            let others = s.filter { $0.key != host }.values.flatMap { $0 }
            let firstElsewhere = others.map(\.at).min()
            return s[host]?.last { tick in firstElsewhere.map { tick.at <= $0 } ?? true }
        }
    }

    func firstTick(on host: String) -> Tick? { seen.withLock { $0[host]?.first } }
}
