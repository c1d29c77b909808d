import FlotillaCore
import Testing

@Suite struct ImageArtifactsTests {
    static let docker = ImageArtifacts(dockerReference: "debian:12")
    static let kernel = ImageArtifacts(kernelPath: "/boot/vmlinuz", initrdPath: "/boot/initrd.gz")
    static let both = ImageArtifacts(dockerReference: "debian:12", kernelPath: "/boot/vmlinuz")
    static let none = ImageArtifacts()
    static let diskOnly = ImageArtifacts(rootDiskPath: "/images/root.qcow2", rootDiskFormat: "qcow2")

    @Test(arguments: [
        (none, BackendKind.sim, String?.none),
        (none, .docker, "a Docker image reference"),
        (none, .kvm, "a kernel"),
        (docker, .sim, nil),
        (docker, .docker, nil),
        (docker, .kvm, "a kernel"),
        (kernel, .sim, nil),
        (kernel, .docker, "a Docker image reference"),
        (kernel, .kvm, nil),
        (both, .docker, nil),
        (both, .kvm, nil),
        (diskOnly, .kvm, "a kernel"),
    ])
    func missing(_ artifacts: ImageArtifacts, _ backend: BackendKind, _ expected: String?) {
        #expect(artifacts.missing(for: backend) == expected)
    }
}
