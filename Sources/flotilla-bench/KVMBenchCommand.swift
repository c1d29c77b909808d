import ArgumentParser
import AsyncHTTPClient
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle

/// Create-to-init-marker of a `kvm` VM through a whole Flotilla host (HTTP create request, agent, QEMU
/// launch, QMP) next to the same QEMU command line started directly, interleaved in the same run
/// (issue 4's benchmark). Both sides watch the console log file for the marker the same way.
struct KVMBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kvm", abstract: "kvm: create request to the guest's init marker vs QEMU started directly.")

    @Option(help: "Runs of each side (median reported).") var runs = 5
    @Option(help: "Acceleration: tcg or kvm (auto probes).") var accel = "tcg"
    @Option(help: "Guest memory, MiB.") var memoryMb = 128
    @Option(help: "Seconds one boot may take.") var timeout = 600
    @Option(help: "Kernel (default: built by scripts/guest-image.sh).") var kernel: String?
    @Option(help: "Initrd (default: built by scripts/guest-image.sh).") var initrd: String?

    static let marker = "FLOTILLA-GUEST-READY"

    func run() async throws {
        guard let accelMode = HostConfiguration.KVMAccel(rawValue: accel) else { throw ValidationError("--accel: auto, kvm or tcg") }
        let (kernelPath, initrdPath) = try Self.guest(kernel: kernel, initrd: initrd)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let dir = "/tmp/flotilla-kvm-bench-\(UUID().uuidString.prefix(8).lowercased())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = HostConfiguration()
        config.dataDir = dir + "/host"
        config.hostId = "bench"
        config.listenPort = 0
        let key = "flt_bench_key_0123456789abcdefghij"
        config.apiKey = key
        config.backends = [.kvm]
        config.kvmAccel = accelMode
        config.cpuCores = 64
        config.memoryMB = 65536
        config.diskGB = 1000
        let host = try await FlotillaHost.build(config, logger: logger)
        try await ImageImporter(store: host.store).importImage(
            .init(id: "bench-guest", kernelPath: kernelPath, initrdPath: initrdPath))
        let ports = PortBox()
        let flotilla = host.application { port in await ports.set("flotilla", port) }
        let group = ServiceGroup(services: host.backgroundServices + [flotilla], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = await ports.wait("flotilla")
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let report: String
            do {
                report = try await measure(client, port: port, key: key, dataDir: config.dataDir, directDir: dir + "/direct")
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
            print(report)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// The test guest's kernel and initrd: the given ones, or those scripts/guest-image.sh builds.
    static func guest(kernel: String?, initrd: String?) throws -> (String, String) {
        if let kernel, let initrd { return (kernel, initrd) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["scripts/guest-image.sh"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var found: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { found[kv[0]] = kv[1] }
        }
        guard process.terminationStatus == 0, let k = found["KERNEL"], let i = found["INITRD"] else {
            throw ValidationError("scripts/guest-image.sh failed (run from the package root, or pass --kernel and --initrd)")
        }
        return (k, i)
    }

    private func measure(_ client: HTTPClient, port: Int, key: String, dataDir: String, directDir: String) async throws -> String {
        let base = "http://127.0.0.1:\(port)/api/v1/compute/instances"
        var viaFlotilla: [Double] = []
        var direct: [Double] = []
        // The argument list Flotilla launched (from the first run), for the direct runs.
        var template: (arguments: [String], directory: String)?
        for run in 0..<runs {
            // Alternate which side goes first, so that neither always follows the other's clean-up.
            let directFirst = run % 2 == 1 && template != nil
            if directFirst, let template {
                direct.append(try await directRun(run, template.arguments, template.directory, directDir))
            }
            let (ms, arguments, instanceDir) = try await flotillaRun(run, client, base: base, key: key, dataDir: dataDir)
            viaFlotilla.append(ms)
            if template == nil { template = (arguments, instanceDir) }
            if !directFirst {
                direct.append(try await directRun(run, arguments, instanceDir, directDir))
            }
            FileHandle.standardError.write(
                Data("run \(run + 1)/\(runs): flotilla \(Int(ms)) ms, direct \(direct.last.map { "\(Int($0)) ms" } ?? "-")\n".utf8))
        }
        let f = Self.median(viaFlotilla)
        let d = Self.median(direct)
        let machine = "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
        return """
            flotilla-bench kvm: \(runs) runs each (interleaved, order alternating), accel \(accel), \(memoryMb) MiB guest, \(machine), \(ISO8601DateFormatter().string(from: Date()))
            create request -> init marker, through Flotilla: median \(Int(f)) ms  (runs: \(viaFlotilla.map { "\(Int($0))" }.joined(separator: ", ")))
            same QEMU argv started directly -> marker:       median \(Int(d)) ms  (runs: \(direct.map { "\(Int($0))" }.joined(separator: ", ")))
            ratio flotilla / direct: \(String(format: "%.3f", f / d)) (goal <= 1.10)
            """
    }

    /// Through Flotilla: the create request until the marker is on the console; then a forced delete.
    private func flotillaRun(
        _ run: Int, _ client: HTTPClient, base: String, key: String, dataDir: String
    ) async throws -> (Double, [String], String) {
        let started = ContinuousClock.now
        var create = HTTPClientRequest(url: base + "?wait=false")
        create.method = .POST
        create.headers.add(name: "X-API-Key", value: key)
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(
            ByteBuffer(
                string:
                    #"{"name":"bench-\#(run)","backend":"kvm","config":{"image":"bench-guest"},"resources":{"cpu":{"cores":1},"memory":{"limit":\#(memoryMb << 20)}}}"#
            ))
        let response = try await client.execute(create, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code < 300,
            let id = try JSONDecoder().decode([String: AnyCodable].self, from: Data(buffer: body))["id"]?.string
        else { throw ValidationError("create failed: \(response.status) \(String(buffer: body))") }
        let instanceDir = "\(dataDir)/kvm/\(id)"
        try await waitForMarker(instanceDir + "/console.log", since: 0)
        let ms = (ContinuousClock.now - started) / .milliseconds(1)
        let arguments = try JSONDecoder().decode(
            [String].self, from: Data(contentsOf: URL(fileURLWithPath: instanceDir + "/qemu.args")))
        var delete = HTTPClientRequest(url: "\(base)/\(id)?force=true")
        delete.method = .DELETE
        delete.headers.add(name: "X-API-Key", value: key)
        _ = try await client.execute(delete, timeout: .seconds(60))
        try await waitUntil(seconds: 60) { !FileManager.default.fileExists(atPath: instanceDir) }
        return (ms, arguments, instanceDir)
    }

    /// Directly: the same argument list, with its own console, QMP socket and pid file; then SIGKILL.
    private func directRun(_ run: Int, _ arguments: [String], _ instanceDir: String, _ directDir: String) async throws -> Double {
        let own = "\(directDir)/\(run)"
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        let directArguments = arguments.dropFirst().map { $0.replacingOccurrences(of: instanceDir, with: own) }
        let began = ContinuousClock.now
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(directArguments)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            try await waitForMarker(own + "/console.log", since: 0)
        } catch {
            process.terminate()
            throw error
        }
        let ms = (ContinuousClock.now - began) / .milliseconds(1)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return ms
    }

    private func waitForMarker(_ path: String, since offset: Int) async throws {
        try await waitUntil(seconds: timeout) {
            guard let data = FileManager.default.contents(atPath: path), data.count > offset else { return false }
            return String(decoding: data[offset...], as: UTF8.self).contains(Self.marker)
        }
    }

    private func waitUntil(seconds: Int, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw ValidationError("timed out after \(seconds) s") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
