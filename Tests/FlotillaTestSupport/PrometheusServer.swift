import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A real Prometheus server (Debian's `prometheus` package) on a free loopback port, scraping Flotilla hosts'
/// `/metrics` every second with a bearer API key, as docs/metrics.md tells an operator to. Its configuration and
/// its time-series database live in one temporary folder; ``tearDown()`` kills the process and removes the folder
/// (call it whatever happens: push it on a ``FixtureStack``).
///
/// Needs `/usr/bin/prometheus` (Debian: `apt-get install -y prometheus`), or `FLOTILLA_PROMETHEUS_BIN`. The
/// package's own service is not used.
public final class PrometheusServer: Sendable {
    /// One element of an instant vector: its labels and its value.
    public struct Sample: Sendable, CustomStringConvertible {
        public let labels: [String: String]
        public let value: Double
        public var description: String { "\(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }) \(value)" }
    }

    /// `http://127.0.0.1:PORT`, Prometheus' web and HTTP API address.
    public let url: String
    /// The folder with `prometheus.yml`, the credentials file, the database and `prometheus.log`.
    public let directory: String
    private let process: Process
    private let client: HTTPClient

    /// The prometheus binary: `FLOTILLA_PROMETHEUS_BIN`, else `/usr/bin/prometheus`.
    public static var binary: String { ProcessInfo.processInfo.environment["FLOTILLA_PROMETHEUS_BIN"] ?? "/usr/bin/prometheus" }

    /// Whether Prometheus tests should run here: it is installed, or real components are required (then its
    /// absence fails them).
    public static var testsEnabled: Bool {
        EtcdCluster.realComponentsRequired || FileManager.default.isExecutableFile(atPath: binary)
    }

    /// Starts Prometheus scraping `targets` (`http://host:port` base URLs, one scheme for all) at
    /// `scrapeInterval`, sending `Authorization: Bearer <bearer>`; returns once `/-/ready` answers 200.
    public static func start(
        targets: [String], bearer: String, scrapeInterval: Int = 1, timeout: Duration = .seconds(60)
    ) async throws -> PrometheusServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ProcessFailure("no prometheus at \(binary): apt-get install -y prometheus (the test command does)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-prometheus-\(UUID().uuidString.prefix(8))")
            .path
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        do {
            let credentials = directory + "/bearer"
            try bearer.write(toFile: credentials, atomically: true, encoding: .utf8)
            try configuration(targets: targets, credentialsFile: credentials, interval: scrapeInterval)
                .write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
            // A port free now may be taken before Prometheus binds it: try a few.
            var lastError: any Error = ProcessFailure("prometheus did not start")
            for _ in 0..<3 {
                do {
                    return try await launch(directory: directory, port: try freeLoopbackPort(), timeout: timeout)
                } catch {
                    lastError = error
                }
            }
            throw lastError
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// The `prometheus.yml` of a run: one job, `flotilla`, over `targets`.
    static func configuration(targets: [String], credentialsFile: String, interval: Int) -> String {
        let scheme = targets.first.map { $0.hasPrefix("https://") ? "https" : "http" } ?? "http"
        let hosts = targets.map { "'" + $0.replacingOccurrences(of: "\(scheme)://", with: "") + "'" }.joined(separator: ", ")
        return """
            global:
              scrape_interval: \(interval)s
              scrape_timeout: \(interval)s
              evaluation_interval: \(interval)s
            scrape_configs:
              - job_name: flotilla
                scheme: \(scheme)
                metrics_path: /metrics
                authorization:
                  type: Bearer
                  credentials_file: \(credentialsFile)
                static_configs:
                  - targets: [\(hosts)]

            """
    }

    private static func launch(directory: String, port: Int, timeout: Duration) async throws -> PrometheusServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--storage.tsdb.retention.time=1h", "--log.level=warn",
        ]
        let logPath = directory + "/prometheus.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
        let server = PrometheusServer(url: "http://127.0.0.1:\(port)", directory: directory, process: process)
        do {
            try await eventually("prometheus is ready", timeout: timeout, every: .milliseconds(100)) {
                if await server.ready() { return true }
                guard process.isRunning else { throw ProcessFailure("prometheus exited with \(process.terminationStatus)") }
                return false
            }
            return server
        } catch {
            let tail = server.logTail()
            await server.stopProcess()
            throw ProcessFailure("\(error): \(tail)")
        }
    }

    private init(url: String, directory: String, process: Process) {
        self.url = url
        self.directory = directory
        self.process = process
        self.client = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    /// Whether `/-/ready` answers 200 now.
    private func ready() async -> Bool {
        guard let response = try? await client.execute(HTTPClientRequest(url: url + "/-/ready"), timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 64 << 10)
        return response.status == .ok
    }

    /// Evaluates `promql` now through `/api/v1/query` and returns the instant vector (a scalar comes back as one
    /// sample without labels). Throws when Prometheus refuses the query.
    public func query(_ promql: String) async throws -> [Sample] {
        let json = try await get("/api/v1/query?query=" + Self.encode(promql))
        guard let data = json["data"] as? [String: Any], let type = data["resultType"] as? String else {
            throw ProcessFailure("prometheus answered without data for \(promql): \(json)")
        }
        switch type {
        case "vector":
            return (data["result"] as? [[String: Any]] ?? []).compactMap { item in
                guard let value = Self.number(item["value"]) else { return nil }
                return Sample(labels: item["metric"] as? [String: String] ?? [:], value: value)
            }
        case "scalar":
            return Self.number(data["result"]).map { [Sample(labels: [:], value: $0)] } ?? []
        default:
            throw ProcessFailure("prometheus answered a \(type) for \(promql), not an instant vector")
        }
    }

    /// The value of a query that yields one sample (e.g. a `sum(...)`), or nil when it yields none.
    public func value(_ promql: String) async throws -> Double? {
        try await query(promql).first?.value
    }

    /// Each scrape target's address and health (`up`, `down`, `unknown`) with its last error, for diagnostics.
    public func targets() async throws -> [String] {
        let json = try await get("/api/v1/targets")
        let active = ((json["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]]) ?? []
        return active.map { t in
            "\(t["scrapeUrl"] ?? "?") \(t["health"] ?? "?") \((t["lastError"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "")"
        }
    }

    /// The last lines Prometheus wrote to its log.
    public func logTail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: directory + "/prometheus.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Kills Prometheus, waits for it to exit, closes the HTTP client and removes the folder.
    public func tearDown() async {
        await stopProcess()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func stopProcess() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        await process.exits(within: .seconds(10), every: .milliseconds(10))
        try? await client.shutdown()
    }

    private func get(_ path: String) async throws -> [String: Any] {
        let response = try await client.execute(HTTPClientRequest(url: url + path), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        guard let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw ProcessFailure("prometheus answered \(response.status) with no JSON object for \(path)")
        }
        guard response.status == .ok, json["status"] as? String == "success" else {
            throw ProcessFailure("prometheus answered \(response.status) for \(path): \(json["error"] ?? json)")
        }
        return json
    }

    /// A query-string value with everything but unreserved characters percent-encoded (a `+` left as is would
    /// read as a space).
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// The number in a `[timestamp, "value"]` pair.
    private static func number(_ pair: Any?) -> Double? {
        guard let pair = pair as? [Any], pair.count == 2, let text = pair[1] as? String else { return nil }
        return Double(text)
    }

    /// A port the kernel hands out for loopback right now (bound to port 0, then released).
    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailure("socket() failed: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw ProcessFailure("bind() failed: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
