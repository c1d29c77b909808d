import AsyncHTTPClient
import Foundation
import NIOCore

/// A single-member etcd for a benchmark, on free loopback ports, in its own data directory.
struct BenchEtcd {
    let process: Process
    let endpoint: String

    static func start(binary: String, directory: String) async throws -> BenchEtcd {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no etcd at \(binary) (apt-get install -y etcd-server)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let client = Int.random(in: 30000...45000)
        let peer = client + 1
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--name", "bench", "--data-dir", directory + "/data",
            "--listen-client-urls", "http://127.0.0.1:\(client)", "--advertise-client-urls", "http://127.0.0.1:\(client)",
            "--listen-peer-urls", "http://127.0.0.1:\(peer)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer)",
            "--initial-cluster", "bench=http://127.0.0.1:\(peer)",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let etcd = BenchEtcd(process: process, endpoint: "http://127.0.0.1:\(client)")
        for _ in 0..<100 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: etcd.endpoint + "/health"), timeout: .seconds(1)),
                let body = try? await response.body.collect(upTo: 4096), String(buffer: body).contains("true")
            {
                return etcd
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        etcd.stop()
        throw BenchError("etcd did not become healthy at \(etcd.endpoint)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
