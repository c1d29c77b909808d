import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import Foundation
import Testing

/// The checks and the mapping of `CreateMicroVMRequest` onto an instance, with a fixed catalog.
@Suite("Flintlock create mapping")
struct FlintlockCreateTests {
    static let catalog: [Image] = [
        Image(
            id: "guest", name: "guest", osDistro: "", osVersion: "", createdAt: Date(),
            artifacts: ImageArtifacts(dockerReference: "ghcr.io/acme/guest:1", kernelPath: "/k", rootDiskPath: "/r")),
        Image(id: "other", name: "other", osDistro: "", osVersion: "", createdAt: Date()),
        Image(
            id: "docker-only", name: "d", osDistro: "", osVersion: "", createdAt: Date(),
            artifacts: ImageArtifacts(dockerReference: "debian:12")),
    ]

    static func lookup(_ ref: String) -> Image? {
        catalog.first { $0.id == ref || $0.artifacts.dockerReference == ref }
    }

    static func request(_ edit: (inout MicroVMSpec) -> Void = { _ in }) -> CreateMicroVMRequest {
        var spec = MicroVMSpec()
        spec.id = "vm1"
        spec.kernel.image = "guest"
        edit(&spec)
        var r = CreateMicroVMRequest()
        r.microvm = spec
        return r
    }

    static func make(_ r: CreateMicroVMRequest, provider: BackendKind = .kvm) throws(FlotillaError) -> CreateInstance {
        try FlintlockCreate.instance(for: r, uid: "01ARYZ6S4K0000000000000000", defaultProvider: provider, image: lookup)
    }

    @Test func defaultsAndMetadata() throws {
        let c = try Self.make(Self.request { $0.labels = ["team": "a"] })
        #expect(c.name == "default:vm1")
        #expect(c.kind == .vm)
        #expect(c.backend == .kvm)
        #expect(c.spec.resources.cpuCores == 2)
        #expect(c.spec.resources.memoryMB == 1024)
        #expect(c.spec.labels == ["team": "a"])
        #expect(c.spec.config.image == "guest")
        #expect(c.spec.metadata[FlintlockMapping.Key.uid] == "01ARYZ6S4K0000000000000000")
        #expect(c.spec.metadata[FlintlockMapping.Key.namespace] == "default")
        #expect(c.spec.metadata[FlintlockMapping.Key.name] == "vm1")
    }

    @Test func sizesProviderReferenceAndCloudInit() throws {
        let c = try Self.make(
            Self.request {
                $0.namespace = "ns"
                $0.vcpu = 4
                $0.memoryInMb = 256
                $0.provider = "sim"
                $0.kernel.image = "ghcr.io/acme/guest:1"
                $0.rootVolume.source.containerSource = "guest"
                $0.metadata = ["user-data": Data("#cloud-config\n".utf8).base64EncodedString(), "vendor-data": "e30="]
            })
        #expect(c.name == "ns:vm1")
        #expect(c.backend == .sim)
        #expect(c.spec.resources.cpuCores == 4)
        #expect(c.spec.resources.memoryMB == 256)
        #expect(c.spec.config.cloudInit?.userData == "#cloud-config\n")
    }

    /// A bad request and the code it is answered with.
    struct BadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var code: FlotillaError.Code
        var edit: @Sendable (inout MicroVMSpec) -> Void
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "no id", code: .validationError) { $0.id = "" },
        BadCase(name: "no kernel image", code: .validationError) { $0.kernel.image = "" },
        BadCase(name: "unknown kernel image", code: .resourceNotFound) { $0.kernel.image = "nope" },
        BadCase(name: "unknown root volume", code: .resourceNotFound) { $0.rootVolume.source.containerSource = "nope" },
        BadCase(name: "initrd entry without an initrd", code: .imageArtifactMissing) { $0.initrd.image = "other" },
        BadCase(name: "root entry without a disk", code: .imageArtifactMissing) { $0.rootVolume.source.containerSource = "other" },
        BadCase(name: "unknown provider", code: .validationError) { $0.provider = "firecracker" },
        BadCase(name: "docker provider", code: .validationError) { $0.provider = "docker" },
        BadCase(name: "negative vcpu", code: .validationError) { $0.vcpu = -1 },
        BadCase(name: "negative memory", code: .validationError) { $0.memoryInMb = -5 },
        BadCase(name: "colon in namespace", code: .validationError) { $0.namespace = "a:b" },
        BadCase(name: "metadata not base64", code: .validationError) { $0.metadata = ["user-data": "%%%"] },
        BadCase(name: "no kernel for kvm", code: .imageArtifactMissing) { $0.kernel.image = "docker-only" },
    ]

    @Test(arguments: badCases)
    func rejects(_ bad: BadCase) {
        do {
            _ = try Self.make(Self.request(bad.edit))
            Issue.record("\(bad.name) was accepted")
        } catch {
            // `make` throws only FlotillaError (typed throws).
            #expect(error.code == bad.code, "\(bad.name): \(error.message)")
        }
    }

    @Test func noSpecAtAll() {
        #expect(throws: FlotillaError.self) { try Self.make(CreateMicroVMRequest()) }
    }
}
