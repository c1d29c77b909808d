import ArgumentParser
import Foundation
import Synchronization

/// A `flotilla serve` process for the flood benchmark: its own data folder, the sim backend, loopback, the
/// given idle timeout and every other connection setting at its default.
final class FloodServer: Sendable {
    let port: Int
    let apiKey = "flt_flood_bench_key_0123456789abcdef"
    private let process: Process
    private let dataDir: String

    private init(port: Int, process: Process, dataDir: String) {
        self.port = port
        self.process = process
        self.dataDir = dataDir
    }

    static func start(binary: String, idleTimeout: Int) async throws -> FloodServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-flood-\(UUID().uuidString.prefix(8))").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "serve", "--listen", "127.0.0.1:0", "--grpc-listen", "off", "--data-dir", dir, "--api-key",
            "flt_flood_bench_key_0123456789abcdef",
            "--host-id", "flood", "--backends", "sim", "--cpus", "64", "--memory-mb", "65536", "--idle-timeout", "\(idleTimeout)",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        let output = Mutex("")
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = output.withLock { $0 }
            if let range = text.range(of: #"listening on http://[0-9.]+:[0-9]+"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return FloodServer(port: port, process: process, dataDir: dir)
            }
            guard process.isRunning else { throw ValidationError("flotilla serve exited: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ValidationError("flotilla serve did not listen within 60 s")
    }

    /// SIGTERM, then SIGKILL after 20 s; removes the data folder.
    func stop() async {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dataDir)
    }
}
