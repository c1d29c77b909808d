import AsyncHTTPClient
import Foundation
import NIOCore

/// A multi-member etcd for a benchmark, on free loopback ports, each member in its own data directory under one.
struct BenchEtcdCluster {
    let processes: [Process]
    /// The members' client URLs.
    let endpoints: [String]

    /// The store URL a host takes (`--store etcd://HOST:PORT,...`).
    var storeURL: String { "etcd://" + endpoints.map { $0.replacingOccurrences(of: "http://", with: "") }.joined(separator: ",") }

    static func start(binary: String, directory: String, members: Int) async throws -> BenchEtcdCluster {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no etcd at \(binary) (apt-get install -y etcd-server)")
        }
        let base = Int.random(in: 30000...45000)
        let names = (0..<members).map { "m\($0)" }
        let client = { (i: Int) in base + 2 * i }
        let peer = { (i: Int) in base + 2 * i + 1 }
        let initial = names.indices.map { "\(names[$0])=http://127.0.0.1:\(peer($0))" }.joined(separator: ",")
        var processes: [Process] = []
        for (i, name) in names.enumerated() {
            let dir = "\(directory)/\(name)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "--name", name, "--data-dir", dir,
                "--listen-client-urls", "http://127.0.0.1:\(client(i))", "--advertise-client-urls", "http://127.0.0.1:\(client(i))",
                "--listen-peer-urls", "http://127.0.0.1:\(peer(i))", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peer(i))",
                "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", "bench-\(base)",
            ]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            processes.append(process)
        }
        let cluster = BenchEtcdCluster(processes: processes, endpoints: names.indices.map { "http://127.0.0.1:\(client($0))" })
        for _ in 0..<200 {
            var healthy = 0
            for endpoint in cluster.endpoints {
                if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint + "/health"), timeout: .seconds(1)),
                    let body = try? await response.body.collect(upTo: 4096), String(buffer: body).contains("true")
                {
                    healthy += 1
                }
            }
            if healthy == members { return cluster }
            if processes.contains(where: { !$0.isRunning }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        cluster.stop()
        throw BenchError("the \(members)-member etcd did not become healthy at \(cluster.endpoints.joined(separator: ","))")
    }

    /// The members' resident memory and CPU seconds so far, from /proc.
    var usage: (rssMB: Double, cpuSeconds: Double) {
        processes.reduce((0, 0)) { sum, process in
            let use = ProcessUsage.read(pid: process.processIdentifier)
            return (sum.0 + use.rssMB, sum.1 + use.cpuSeconds)
        }
    }

    func stop() {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes { process.waitUntilExit() }
    }
}

/// A process's resident memory and CPU time, read from /proc (zero where unreadable).
enum ProcessUsage {
    static func read(pid: Int32) -> (rssMB: Double, cpuSeconds: Double) {
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let statm = (try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8)) ?? ""
        let resident = statm.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        // /proc/PID/stat: fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        let cpu = fields.count > 12 ? ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks : 0
        return (resident * page / 1_048_576, cpu)
    }
}
