import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport

/// Runs the backend contract on ``DockerBackend`` against the fixture's daemon.
struct DockerHarness: BackendHarness {
    func makeBackend() async throws -> any ComputeBackend {
        try await DockerFixture.shared.daemon().backend()
    }

    func createRequest(id: String, name: String) -> BackendCreateRequest {
        DockerFixtures.request(id: id, name: name)
    }

    func tearDown() async throws {}
}

enum DockerFixtures {
    static let resources = Resources(cpuCores: 0.5, memoryBytes: 64 << 20)
    /// Ends at once on SIGTERM (exit 0), so that graceful stops are quick.
    static let command = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]

    static func request(
        id: String, name: String? = nil, config: InstanceConfig? = nil, resources: Resources = resources,
        labels: [String: String] = [:]
    ) -> BackendCreateRequest {
        BackendCreateRequest(
            id: id, name: name ?? "docker-\(id.prefix(8))", kind: .container,
            spec: InstanceSpec(
                config: config ?? InstanceConfig(image: DockerFixture.image, command: command, networkMode: "none"),
                resources: resources, labels: labels))
    }
}
