import FlotillaAPI
import FlotillaClient
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla logs` (ADR 0024) against real `flotilla serve` processes: a real container's stdout and stderr
/// through the Engine API, a real VM's serial console, and a log asked at one host of an instance another host
/// runs. Docker and KVM parts skip without dockerd/QEMU unless `FLOTILLA_REQUIRE_REAL=1`.
@Suite("flotilla logs as processes", .serialized)
struct LogsProcessTests {
    /// Known lines on stdout and stderr, then a counter every 0.2 s; ends at once on SIGTERM.
    static let command = [
        "sh", "-c",
        "echo line-1; sleep 0.1; echo line-2 >&2; sleep 0.1; echo line-3; trap 'exit 0' TERM; i=0; "
            + "while true; do i=$((i+1)); echo tick $i; sleep 0.2 & wait; done",
    ]

    /// The highest `tick N` in `text`, or 0.
    static func lastTick(_ text: String) -> Int {
        text.split(separator: "\n").compactMap { $0.hasPrefix("tick ") ? Int($0.dropFirst(5)) : nil }.max() ?? 0
    }

    /// A `flotilla` CLI process left running (`--follow`) whose standard output and error go to FILES: nothing
    /// blocks a thread of the cooperative pool reading a pipe while it runs (two blocking reads filled both
    /// threads on 2 cores and hung the test). Its output and its exit are polled.
    final class FileFollower: Sendable {
        let process: Process
        let arguments: [String]
        let outPath: String
        let errPath: String

        init(host: ServeProcess, arguments: [String], directory: String) throws {
            self.arguments = arguments
            let stem = "\(directory)/cli-\(UUID().uuidString.prefix(8))"
            outPath = stem + ".out"
            errPath = stem + ".err"
            process = Process()
            process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            env["FLOTILLA_URL"] = host.url
            env["FLOTILLA_API_KEY"] = host.apiKey
            process.environment = env
            var handles: [FileHandle] = []
            for path in [outPath, errPath] {
                guard FileManager.default.createFile(atPath: path, contents: nil) else { throw ProcessFailure("cannot create \(path)") }
                handles.append(try FileHandle(forWritingTo: URL(fileURLWithPath: path)))
            }
            process.standardOutput = handles[0]
            process.standardError = handles[1]
            defer { for handle in handles { try? handle.close() } }
            try process.run()
        }

        var out: String { (try? Data(contentsOf: URL(fileURLWithPath: outPath))).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        var err: String { (try? Data(contentsOf: URL(fileURLWithPath: errPath))).map { String(decoding: $0, as: UTF8.self) } ?? "" }

        /// Polls until the process has exited (a failure after `timeout`); its exit status.
        func exitStatus(within timeout: Duration) async throws -> Int32 {
            try await eventually("flotilla \(arguments.joined(separator: " ")) exits", timeout: timeout, every: .milliseconds(100)) {
                !process.isRunning
            }
            return process.terminationStatus
        }

        /// Kills the process if it still runs and waits (polling, up to 10 s) until it is gone.
        func kill() async {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            await process.exits(within: .seconds(10), every: .milliseconds(20))
        }
    }

    /// Starts `flotilla ARGUMENTS` against `host` with its output in files under `directory`; the stack kills it.
    static func follow(_ host: ServeProcess, _ arguments: [String], directory: String, stack: FixtureStack) async throws -> FileFollower {
        let follower = try FileFollower(host: host, arguments: arguments, directory: directory)
        await stack.push("flotilla \(arguments.joined(separator: " ")) (pid \(follower.process.processIdentifier))") {
            await follower.kill()
        }
        return follower
    }

    @Test(
        "docker: --tail 2 prints the last two lines of stdout and stderr; --follow prints what the container writes after it started and ends when it stops",
        .docker)
    func docker() async throws {
        let docker = try await DockerFixture.shared.daemon()
        try await FixtureStack.with { stack in
            let cliDir = try await stack.temporaryDirectory("logs-docker-cli")
            let host = try await stack.serve(
                dataDir: try await stack.temporaryDirectory("logs-docker"), backends: "sim,docker",
                environment: ["FLOTILLA_DOCKER_SOCKET": docker.socketPath])
            let first = try await host.cli(
                ["instance", "create", "talker", "--backend", "docker", "--image", DockerFixture.image]
                    + Self.command.flatMap { ["--command", $0] } + ["--memory", "64MiB", "--output", "json"])
            #expect(first.status == 0, "\(first.err)")
            let instance = try WireJSON.decoder().decode(Compute.Instance.self, from: Data(first.out.utf8))
            await stack.push("containers of \(instance.id)") {
                for container in (try? docker.containers(label: "io.flotilla.instance=\(instance.id)")) ?? [] {
                    _ = try? docker.cli(["rm", "-f", container])
                }
            }

            // The first lines, from both streams, in order: the third line is the last before the ticks.
            try await eventually("line-3 in the log", timeout: .seconds(20), every: .milliseconds(200)) {
                (try await host.cli(["logs", "talker", "--tail", "100"])).out.contains("line-3")
            }
            let all = try await host.cli(["logs", "talker", "--tail", "10000"])
            #expect(all.status == 0, "\(all.err)")
            #expect(all.out.hasPrefix("line-1\nline-2\nline-3\n"), "stdout and stderr both, in order: \(all.out.prefix(200))")

            // --tail 2: the last two lines, which are the latest ticks once the container has written two of them
            // (asked earlier, the last two lines could be line-3 and tick 1).
            try await eventually("tick 2 in the log", timeout: .seconds(20), every: .milliseconds(200)) {
                Self.lastTick((try await host.cli(["logs", "talker", "--tail", "1"])).out) >= 2
            }
            let two = try await host.cli(["logs", instance.id, "--tail", "2"])
            #expect(two.status == 0, "\(two.err)")
            let lines = two.out.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3 && lines.last == "", "two lines: \(two.out)")
            #expect(lines.prefix(2).allSatisfy { $0.hasPrefix("tick ") }, "\(two.out)")

            // --follow: started now, it must print ticks written after it started; stopping the instance ends it.
            let before = Self.lastTick(two.out)
            let followed = try await Self.follow(host, ["logs", "talker", "--follow", "--tail", "1"], directory: cliDir, stack: stack)
            var later = before
            try await eventually("the counter moved on by 10", timeout: .seconds(30), every: .milliseconds(200)) {
                later = Self.lastTick((try await host.cli(["logs", "talker", "--tail", "1"])).out)
                return later >= before + 10
            }
            let stopped = try await host.cli(["instance", "stop", "talker"])
            #expect(stopped.status == 0, "\(stopped.err)")
            // The container ends on SIGTERM at once; the stream then ends: a generous cap for a slow machine.
            let status = try await followed.exitStatus(within: .seconds(60))
            #expect(status == 0, "the stream ended because the container stopped: \(followed.err)")
            #expect(Self.lastTick(followed.out) >= later, "ticks written after --follow started: \(followed.out.suffix(200))")

            // An unknown instance: the API's message, exit 1.
            let unknown = try await host.cli(["logs", "00000000-0000-4000-8000-000000000000"])
            #expect(unknown.status == 1)
            #expect(unknown.err.contains("INSTANCE_NOT_FOUND") || unknown.err.contains("not found"), "\(unknown.err)")
            _ = try await host.cli(["instance", "delete", "talker", "--force"])
        }
    }

    @Test(
        "kvm: the guest's console lines (its init's marker and counter) appear in flotilla logs",
        .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func kvm() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let dir = KVMTestSupport.temporaryDirectory("kvmlogs")
            await stack.push("QEMUs under \(dir) and the folder") {
                KVMTestSupport.killQEMUs(under: dir)
                try? FileManager.default.removeItem(atPath: dir)
            }
            _ = try await TestHost.with(dataDir: dir, keepData: true) { host in
                try await ImageImporter(store: host.host.store).importImage(
                    .init(id: "flotilla-test-guest", kernelPath: guest.kernel, initrdPath: guest.initrd))
            }
            let host = try await stack.serve(dataDir: dir, extra: ["--backends", "sim,kvm", "--kvm-accel", "tcg"])
            let id = try await FlotillaClient.withClient(baseURL: host.url, apiKey: host.apiKey) { client in
                let request = Compute.CreateRequest(
                    name: "console", backend: "kvm", config: .init(image: "flotilla-test-guest"),
                    resources: .init(cpu: .init(cores: 1), memory: .init(limit: 128 << 20)))
                return try await client.createInstance(request, wait: true).instance.id
            }
            // TCG boots slowly: a generous cap. After its marker the guest loads its disk and network modules before
            // its counter starts, so wait for the counter itself to be among the last lines.
            try await eventually("the guest's marker line in flotilla logs", timeout: .seconds(120), every: .seconds(1)) {
                (try await host.cli(["logs", "console", "--tail", "10000"])).out.contains("FLOTILLA-GUEST-READY")
            }
            try await eventually("the guest's counter among the last lines", timeout: .seconds(60), every: .seconds(1)) {
                (try await host.cli(["logs", id, "--tail", "3"])).out.contains("FLOTILLA-TICK")
            }
            let tail = try await host.cli(["logs", id, "--tail", "3"])
            #expect(tail.status == 0, "\(tail.err)")
            #expect(tail.out.contains("FLOTILLA-TICK"), "\(tail.out)")
            #expect(!tail.out.contains("\r"))

            // Following the console: the counter goes on, and deleting the VM ends the stream.
            let cliDir = try await stack.temporaryDirectory("kvmlogs-cli")
            let followed = try await Self.follow(host, ["logs", "console", "--follow", "--tail", "1"], directory: cliDir, stack: stack)
            try await eventually("two more ticks", timeout: .seconds(30), every: .seconds(1)) {
                let now = try await host.cli(["logs", "console", "--tail", "1"])
                return Self.tickNumber(now.out) >= Self.tickNumber(tail.out) + 2
            }
            let deleted = try await host.cli(["instance", "delete", "console", "--force"])
            #expect(deleted.status == 0, "\(deleted.err)")
            // Deleting the VM ends the stream: a generous cap for a slow machine.
            let status = try await followed.exitStatus(within: .seconds(60))
            #expect(status == 0, "\(followed.err)")
            #expect(Self.tickNumber(followed.out) >= Self.tickNumber(tail.out) + 2, "\(followed.out.suffix(300))")
        }
    }

    /// The highest `FLOTILLA-TICK N` in `text`, or -1.
    static func tickNumber(_ text: String) -> Int {
        text.split(separator: "\n").compactMap { line in
            line.range(of: "FLOTILLA-TICK ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        }.max() ?? -1
    }

    @Test(
        "routed: a log asked at host A of an instance host B runs comes through A, followed as a stream; unknown 404, owner down 503",
        .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func routed() async throws {
        try await FixtureStack.with { stack in
            let etcd = try await stack.etcd(size: 1)
            let dir = try await stack.temporaryDirectory("logs-routed")
            var hosts: [ServeProcess] = []
            for i in 1...2 {
                hosts.append(
                    try await stack.serve(
                        dataDir: "\(dir)/h\(i)", apiKey: FaultCluster.apiKey,
                        extra: etcd.serveArguments + ["--cluster-secret", "test-secret", "--host-id", "h\(i)", "--zone", "z\(i)"]
                            + FaultCluster.fastBounds,
                        stopSignal: SIGKILL))
            }
            let (a, b) = (hosts[0], hosts[1])
            let id = try await FlotillaClient.withClient(baseURL: a.url, apiKey: FaultCluster.apiKey) { client in
                var id = ""
                try await eventually("a sim instance placed on h2", timeout: .seconds(30), every: .milliseconds(200)) {
                    let request = Compute.CreateRequest(
                        name: "far", backend: "sim", config: .init(image: "sim-image"), placement: .init(workerId: "h2"))
                    guard let created = try? await client.createInstance(request, wait: true).instance else { return false }
                    id = created.id
                    return created.state == "running"
                }
                return id
            }
            let once = try await a.cli(["logs", "far"])
            #expect(once.status == 0, "\(once.err)")
            #expect(once.out == "far: created\nfar: running\n", "h2's sim record, through h1: \(once.out)")

            // Followed through the hop: the first piece arrives while the stream is open; the stop made at host B
            // then ends the stream host A relays.
            var text = ""
            var stopSent = false
            try await FlotillaClient.withClient(baseURL: a.url, apiKey: FaultCluster.apiKey) { client in
                try await client.logs(id: id, follow: true) { piece in
                    text += String(decoding: piece, as: UTF8.self)
                    guard !stopSent, text.contains("far: running\n") else { return }
                    stopSent = true
                    _ = try await FlotillaClient.withClient(baseURL: b.url, apiKey: FaultCluster.apiKey) { try await $0.stop(id: id) }
                }
            }
            #expect(stopSent, "the log was open before the instance stopped")
            #expect(text == "far: created\nfar: running\nfar: stopped\n", "\(text)")

            let unknown = try await a.cli(["logs", "00000000-0000-4000-8000-000000000000"])
            #expect(unknown.status == 1, "\(unknown.out)\(unknown.err)")

            // Host B gone: host A answers 503 (exit 1, the API's message) once it sees B offline.
            await b.stop(signal: SIGKILL)
            try await eventually("a 503 naming h2 once it is offline", timeout: .seconds(30), every: .milliseconds(500)) {
                let r = try await a.cli(["logs", id])
                return r.status == 1 && r.err.contains("h2")
            }
        }
    }
}
