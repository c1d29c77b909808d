import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Synchronization
import Testing

/// Runs the backend contract on ``QEMUBackend`` with real QEMU under TCG, booting the test guest.
final class QEMUHarness: BackendHarness {
    let directory: String
    let guest: GuestImageFixture.Guest
    private let made = Mutex<QEMUBackend?>(nil)

    init() async throws {
        try KVMTestSupport.requireQEMU()
        guest = try await GuestImageFixture.guest()
        directory = KVMTestSupport.temporaryDirectory("kvm")
    }

    func makeBackend() async throws -> any ComputeBackend {
        let backend = QEMUFixtures.backend(directory: directory)
        made.withLock { $0 = backend }
        return backend
    }

    func createRequest(id: String, name: String) -> BackendCreateRequest {
        QEMUFixtures.request(id: id, name: name, guest: guest)
    }

    /// The guest has booted: its init starts acpid (the power button) before it prints the marker.
    func awaitReady(_ backend: any ComputeBackend, id: String) async throws {
        let qemu = try #require(backend as? QEMUBackend)
        try await QEMUBackendTests.waitForMarker(qemu, id)
    }

    func tearDown() async throws {
        if let backend = made.withLock({ $0 }) { await backend.stopAll() }
        KVMTestSupport.killQEMUs(under: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

enum QEMUFixtures {
    /// Small VMs: one vCPU, 128 MiB, a 64 MiB scratch disk.
    static let resources = Resources(cpuCores: 1, memoryBytes: 128 << 20, storageBytes: 64 << 20)

    /// A TCG backend on `directory`; `links` and `namespace` as ``QEMUBackend/Configuration`` has them.
    static func backend(directory: String, links: (any HostLinks)? = nil, namespace: String? = nil) -> QEMUBackend {
        QEMUBackend(configuration: .init(directory: directory, accel: .tcg, links: links, networkNamespace: namespace))
    }

    /// Runs `body` with a backend on a fresh folder; every QEMU is killed and the folder removed afterwards,
    /// whether `body` throws or not.
    static func withBackend(
        links: (any HostLinks)? = nil, namespace: String? = nil,
        _ body: (QEMUBackend, GuestImageFixture.Guest, String) async throws -> Void
    ) async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await withFolderBackend(label: "kvmt", links: links, namespace: namespace) { backend, dir in
            try await body(backend, guest, dir)
        }
    }

    /// Runs `body` with a backend on a fresh folder named after `label` (another host's, next to a first one);
    /// its QEMUs are stopped and killed and the folder removed afterwards, whether `body` throws or not.
    static func withFolderBackend(
        label: String, links: (any HostLinks)? = nil, namespace: String? = nil, _ body: (QEMUBackend, String) async throws -> Void
    ) async throws {
        let dir = KVMTestSupport.temporaryDirectory(label)
        let backend = backend(directory: dir, links: links, namespace: namespace)
        let result: Result<Void, any Error>
        do {
            try await body(backend, dir)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await backend.stopAll()
        KVMTestSupport.killQEMUs(under: dir)
        try? FileManager.default.removeItem(atPath: dir)
        try result.get()
    }

    static func newId() -> String { UUID().uuidString.lowercased() }

    static func request(
        id: String, name: String? = nil, guest: GuestImageFixture.Guest, config: InstanceConfig? = nil,
        networks: [String: NetworkDefinition] = [:], diskImages: [String: DiskImage] = [:]
    ) -> BackendCreateRequest {
        BackendCreateRequest(
            id: id, name: name ?? "vm-\(id.prefix(8))", kind: .vm,
            spec: InstanceSpec(config: config ?? InstanceConfig(image: "flotilla-test-guest"), resources: resources),
            artifacts: ImageArtifacts(kernelPath: guest.kernel, initrdPath: guest.initrd), networks: networks,
            diskImages: diskImages)
    }
}
