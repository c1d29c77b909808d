import ArgumentParser
import AsyncHTTPClient
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// `flotilla-bench oob`: how long after an out-of-band kill (`docker kill` of a container, SIGKILL of a QEMU)
/// the registry shows it, with the agent following the backend's change notifications, and with only the
/// once-a-second resync they replace, in the same run (issue 11's benchmark).
struct OutOfBandBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oob", abstract: "out-of-band kill -> registry, with backend events and with the 1 s resync only.")

    @Option(help: "docker or kvm.") var backend = "docker"
    @Option(help: "Kills measured per mode (median and p99 reported).") var runs = 20
    @Option(help: "The daemon's socket (docker; env FLOTILLA_DOCKER_SOCKET).") var socket: String?
    @Option(help: "Docker image (made by the test fixture).") var image = "flotilla-test/busybox:1"
    @Option(help: "Kernel (kvm; default: built by scripts/guest-image.sh).") var kernel: String?
    @Option(help: "Initrd (kvm; default: built by scripts/guest-image.sh).") var initrd: String?

    func run() async throws {
        guard let kind = BackendKind(rawValue: backend), kind == .docker || kind == .kvm else {
            throw ValidationError("--backend: docker or kvm")
        }
        let socketPath = socket ?? ProcessInfo.processInfo.environment["FLOTILLA_DOCKER_SOCKET"] ?? "/var/run/docker.sock"
        let guest = kind == .kvm ? try KVMBenchCommand.guest(kernel: kernel, initrd: initrd) : nil
        var lines: [String] = []
        for events in [true, false] {
            let delays = try await measure(kind, events: events, socket: socketPath, guest: guest)
            let sorted = delays.sorted()
            lines.append(
                "| \(events ? "backend events + 1 s resync" : "1 s resync only") | \(delays.count) | "
                    + "\(ms(percentile(sorted, 0.5))) | \(ms(percentile(sorted, 0.99))) | \(ms(sorted.first ?? 0)) | "
                    + "\(ms(sorted.last ?? 0)) |")
        }
        let info = ProcessInfo.processInfo
        print(
            """
            ## out-of-band kill to the registry: \(kind.rawValue)

            Run: \(ISO8601DateFormatter().string(from: Date())) on \(info.hostName) (\(info.activeProcessorCount) cores, \
            \(info.physicalMemory >> 30) GiB), \(runs) kills per mode, restart policy never (the kill is what is measured).

            | agent | kills | median | p99 | min | max |
            |---|---|---|---|---|---|
            \(lines.joined(separator: "\n"))

            Goal: median under 1 s with events.
            """)
    }

    /// Seconds from each kill to the registry no longer saying `running`.
    private func measure(_ kind: BackendKind, events: Bool, socket: String, guest: (String, String)?) async throws -> [Double] {
        let dir = "/tmp/flotilla-oob-bench-\(UUID().uuidString.prefix(8).lowercased())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = benchHostConfiguration(dataDir: dir, hostId: "oob-bench", backends: [kind])
        config.dockerSocket = socket
        config.kvmAccel = .tcg
        config.followBackendEvents = events
        var logger = Logger(label: "flotilla.bench")
        logger.logLevel = .critical
        let host = try await FlotillaHost.build(config, logger: logger)
        var spec: InstanceSpec
        if let (kernel, initrd) = guest {
            try await ImageImporter(store: host.store).importImage(.init(id: "oob-guest", kernelPath: kernel, initrdPath: initrd))
            spec = InstanceSpec(config: InstanceConfig(image: "oob-guest"), resources: Resources(cpuCores: 1, memoryBytes: 128 << 20))
        } else {
            spec = InstanceSpec(
                config: InstanceConfig(image: image, command: ["sleep", "3600"], networkMode: "none"),
                resources: Resources(cpuCores: 0.5, memoryBytes: 64 << 20))
        }
        spec.restartPolicy = .never
        let instanceSpec = spec
        return try await withThrowingTaskGroup(of: Void.self, returning: [Double].self) { group in
            for service in host.backgroundServices { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            let created = try await host.instances.create(
                CreateInstance(name: "oob-\(UUID().uuidString.prefix(6).lowercased())", backend: kind, spec: instanceSpec))
            let id = created.instance.id
            var delays: [Double] = []
            var written = created
            for _ in 0..<runs {
                let (instance, _) = await host.instances.settle(written, timeout: .seconds(120))
                guard instance.state == .running else {
                    throw BenchError("instance did not run: \(instance.state) \(instance.stateDescription ?? "")")
                }
                // Kill at a random moment of the resync's second, as an operator would, after the agent saw it run.
                try await Task.sleep(for: .milliseconds(500 + Int.random(in: 0..<1000)))
                let clock = ContinuousClock()
                let killedAt = clock.now
                try await kill(kind, id: id, socket: socket, kvmDirectory: config.kvmDirectory)
                let seen = await host.registry.wait(timeout: .seconds(30)) { s in s.instances[id]?.value.state != .running }
                guard seen != nil else { throw BenchError("the registry did not show the kill within 30 s") }
                delays.append(seconds(clock.now - killedAt))
                written = try await host.instances.perform(.start, id: id)
            }
            let deleting = try await host.instances.perform(.delete, id: id, options: ActionOptions(force: true))
            _ = await host.instances.settle(deleting, timeout: .seconds(60))
            return delays
        }
    }

    /// Kills the instance behind Flotilla's back: the Engine API's kill, or SIGKILL to the QEMU process.
    private func kill(_ kind: BackendKind, id: String, socket: String, kvmDirectory: String) async throws {
        switch kind {
        case .kvm:
            let pidText = try String(contentsOfFile: "\(kvmDirectory)/\(id)/qemu.pid", encoding: .utf8)
            guard let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw BenchError("no QEMU pid for \(id)")
            }
            _ = Glibc.kill(pid, SIGKILL)
        default:
            guard let url = URL(httpURLWithSocketPath: socket, uri: "/containers/flotilla-\(id)/kill") else {
                throw BenchError("bad socket \(socket)")
            }
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Host", value: "docker")
            request.method = .POST
            let response = try await HTTPClient.shared.execute(request, deadline: .now() + .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == 204 else { throw BenchError("docker kill answered \(response.status.code)") }
        }
    }

    private func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    private func ms(_ s: Double) -> String { String(format: "%.0f ms", s * 1000) }
}
