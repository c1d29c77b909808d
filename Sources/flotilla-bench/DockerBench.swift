import AsyncHTTPClient
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle

/// Create+start of a busybox container through Flotilla (an in-process host: instance service, scheduler,
/// agent, docker backend) against the same two Engine API calls made directly, interleaved in one run.
/// Returns the report text (markdown).
///
/// The image must exist on the daemon (e.g. `flotilla-test/busybox:1`, made by the test fixture).
func runDockerBench(
    socket: String, iterations: Int, image: String = "flotilla-test/busybox:1"
) async throws -> String {
    let http = HTTPClient.shared
    let direct = DirectEngine(socket: socket, http: http)
    let apiVersion = try await direct.apiVersion()
    let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: dataDir) }
    var config = benchHostConfiguration(dataDir: dataDir, hostId: "bench-host", backends: [.docker])
    config.dockerSocket = socket
    var logger = Logger(label: "flotilla.bench")
    logger.logLevel = .critical
    let host = try await FlotillaHost.build(config, logger: logger)
    let command = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    let resources = Resources(cpuCores: 0.5, memoryBytes: 64 << 20)

    let (viaFlotilla, viaEngine) = try await withThrowingTaskGroup(of: Void.self, returning: ([Duration], [Duration]).self) { group in
        for service in host.backgroundServices { group.addTask { try await service.run() } }
        defer { group.cancelAll() }
        var a: [Duration] = []
        var b: [Duration] = []
        let clock = ContinuousClock()
        // One untimed round each first: connection set-up, image metadata in the daemon's caches.
        for round in -1..<iterations {
            // (a) through Flotilla, until the instance is running.
            let name = "bench-\(round + 1)-\(UUID().uuidString.prefix(6).lowercased())"
            let start = clock.now
            let written = try await host.instances.create(
                CreateInstance(
                    name: name, backend: .docker,
                    spec: InstanceSpec(
                        config: InstanceConfig(image: image, command: command, networkMode: "none"), resources: resources)))
            let (instance, settled) = await host.instances.settle(written, timeout: .seconds(60))
            let elapsedA = clock.now - start
            guard settled, instance.state == .running else {
                throw BenchError("instance \(name) did not run: \(instance.state) \(instance.stateDescription ?? "")")
            }
            if round >= 0 { a.append(elapsedA) }
            let deleting = try await host.instances.perform(.delete, id: instance.id, options: ActionOptions(force: true))
            _ = await host.instances.settle(deleting, timeout: .seconds(60))

            // (b) the same two Engine API calls, directly.
            let startB = clock.now
            let id = try await direct.create(image: image, command: command, resources: resources, version: apiVersion)
            try await direct.start(id, version: apiVersion)
            let elapsedB = clock.now - startB
            if round >= 0 { b.append(elapsedB) }
            try await direct.remove(id, version: apiVersion)
        }
        return (a, b)
    }
    let medianA = median(viaFlotilla)
    let medianB = median(viaEngine)
    let ratio = medianA / medianB
    let formatter = ISO8601DateFormatter()
    let kernel = kernelRelease()
    return """
        ## docker: create+start

        Run: \(formatter.string(from: Date())) on \(ProcessInfo.processInfo.hostName) \
        (\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB, \
        kernel \(kernel)), docker API \(apiVersion), image \(image), \(iterations) iterations each, interleaved.

        | path | median | min | max |
        |---|---|---|---|
        | Flotilla (InstanceService.create -> scheduler -> agent -> DockerBackend, until running) | \(ms(medianA)) | \(viaFlotilla.min().map(ms) ?? "-") | \(viaFlotilla.max().map(ms) ?? "-") |
        | Engine API directly (POST /containers/create + POST /containers/{id}/start) | \(ms(medianB)) | \(viaEngine.min().map(ms) ?? "-") | \(viaEngine.max().map(ms) ?? "-") |

        Ratio of medians (Flotilla / direct): \(String(format: "%.3f", ratio)) (goal: at most 1.10).

        """
}

private func kernelRelease() -> String {
    var info = utsname()
    uname(&info)
    return withUnsafeBytes(of: &info.release) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

private func median(_ values: [Duration]) -> Double {
    let sorted = values.map(seconds).sorted()
    guard !sorted.isEmpty else { return 0 }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

private func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
private func ms(_ d: Duration) -> String { ms(seconds(d)) }

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The two Engine API calls, made with AsyncHTTPClient and nothing of Flotilla.
private struct DirectEngine {
    let socket: String
    let http: HTTPClient

    func apiVersion() async throws -> String {
        let body = try await send(.GET, "/version", nil)
        guard let json = try JSONSerialization.jsonObject(with: body) as? [String: Any], let v = json["ApiVersion"] as? String else {
            throw BenchError("no ApiVersion from \(socket)")
        }
        return v.compare("1.41", options: .numeric) == .orderedDescending ? "1.41" : v
    }

    func create(image: String, command: [String], resources: Resources, version: String) async throws -> String {
        let payload: [String: Any] = [
            "Image": image, "Cmd": command, "Labels": ["io.flotilla.bench": "direct"],
            "HostConfig": [
                "NanoCpus": Int64(resources.cpuCores * 1e9), "Memory": resources.memoryBytes,
                "MemorySwap": resources.memoryBytes, "NetworkMode": "none",
            ],
        ]
        let body = try await send(.POST, "/v\(version)/containers/create", try JSONSerialization.data(withJSONObject: payload))
        guard let json = try JSONSerialization.jsonObject(with: body) as? [String: Any], let id = json["Id"] as? String else {
            throw BenchError("create answered \(String(decoding: body, as: UTF8.self))")
        }
        return id
    }

    func start(_ id: String, version: String) async throws {
        _ = try await send(.POST, "/v\(version)/containers/\(id)/start", nil)
    }

    func remove(_ id: String, version: String) async throws {
        _ = try await send(.DELETE, "/v\(version)/containers/\(id)?force=true", nil)
    }

    private func send(_ method: HTTPMethod, _ uri: String, _ body: Data?) async throws -> Data {
        guard let url = URL(httpURLWithSocketPath: socket, uri: uri) else { throw BenchError("bad socket \(socket)") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        request.headers.add(name: "Host", value: "docker")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, deadline: .now() + .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 4 << 20))
        guard (200..<300).contains(Int(response.status.code)) else {
            throw BenchError("\(method) \(uri) answered \(response.status.code): \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }
}
