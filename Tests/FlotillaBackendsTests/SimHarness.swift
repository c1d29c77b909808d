import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport

/// Runs the backend contract on ``SimBackend``.
struct SimHarness: BackendHarness {
    var configuration = SimBackend.Configuration()

    func makeBackend() async throws -> any ComputeBackend {
        SimBackend(configuration: configuration)
    }

    func createRequest(id: String, name: String) -> BackendCreateRequest {
        SimFixtures.request(id: id, name: name)
    }

    func tearDown() async throws {}
}

enum SimFixtures {
    static let resources = Resources(cpuCores: 2, memoryBytes: 256 << 20, storageBytes: 1 << 30)

    static func request(id: String, name: String? = nil, resources: Resources = resources) -> BackendCreateRequest {
        BackendCreateRequest(
            id: id, name: name ?? "sim-\(id)", kind: .container,
            spec: InstanceSpec(config: InstanceConfig(image: "sim-image"), resources: resources))
    }
}
