import Foundation
import Synchronization

/// A `flotilla serve` process started by a benchmark (sim backend, SQLite in its own data folder, loopback, no
/// rate limits): the way an operator runs a host, so that process-wide settings such as the tracer (bootstrapped
/// once per process) differ between the hosts compared.
final class BenchServe: Sendable {
    let url: String
    private let process: Process
    private let output: Tail

    /// What the process printed, its last 32 to 64 KiB.
    final class Tail: Sendable {
        private let text = Mutex("")
        var value: String { text.withLock { $0 } }
        func append(_ data: Data) {
            text.withLock {
                $0 += String(decoding: data, as: UTF8.self)
                if $0.utf8.count > 64 << 10 { $0 = String($0.suffix(32 << 10)) }
            }
        }
    }

    /// Starts `binary serve` with `arguments` on top of the common ones; returns once it prints its listening line.
    static func start(binary: String, id: String, dataDir: String, apiKey: String, arguments: [String]) async throws -> BenchServe {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no flotilla binary at \(binary): build it (swift build -c release --product flotilla) or pass --flotilla")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            [
                "serve", "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--data-dir", dataDir, "--api-key", apiKey,
                "--host-id", id, "--backends", "sim", "--cpus", "100000", "--memory-mb", "100000000", "--rate-limit", "0",
                "--log-level", "warning",
            ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FLOTILLA_API_KEY"] = nil
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = Tail()
        // Drained for the whole run: a full pipe would block the server's logging.
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            output.append(data)
        }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = output.value
            if let range = text.range(of: #"listening on http://[0-9.]+:[0-9]+"#, options: .regularExpression) {
                return BenchServe(url: String(text[range].dropFirst("listening on ".count)), process: process, output: output)
            }
            if !process.isRunning { throw BenchError("flotilla serve (\(id)) exited with \(process.terminationStatus): \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw BenchError("flotilla serve (\(id)) did not start listening within 60 s")
    }

    private init(url: String, process: Process, output: Tail) {
        self.url = url
        self.process = process
        self.output = output
    }

    /// What the process printed last (standard output and error).
    var log: String { output.value }

    /// SIGTERM, then SIGKILL after 10 s; waits for the exit.
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
