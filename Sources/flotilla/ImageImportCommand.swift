import ArgumentParser
import FlotillaAPI
import FlotillaClient

/// The format of a root disk image.
enum DiskFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case raw, qcow2
}

struct ImageImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an image into the catalog (admin key).",
        discussion: """
            An image runs on a backend when it carries what that backend needs: kvm a kernel (--kernel, with an \
            optional --initrd and --root-disk), docker a reference (--docker-reference); sim needs nothing. \
            Paths are paths on the hosts, not uploaded.
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The image id.")
    var id: String

    @Option(help: "The display name.")
    var name: String

    @Option(help: "For kvm: the kernel's path on the hosts.")
    var kernel: String?

    @Option(help: "For kvm: the initrd's path on the hosts.")
    var initrd: String?

    @Option(help: "For kvm: the root disk's path on the hosts.")
    var rootDisk: String?

    @Option(help: "The root disk's format: raw or qcow2.")
    var rootDiskFormat: DiskFormat?

    @Option(help: "For docker: an image reference, e.g. debian:12.")
    var dockerReference: String?

    @Option(help: "The OS distribution, e.g. debian.")
    var osDistro: String?

    @Option(help: "The OS version, e.g. 12.")
    var osVersion: String?

    @Option(help: "The architecture, e.g. x86_64.")
    var architecture: String?

    @Option(help: "A description.")
    var description: String?

    func validate() throws {
        if rootDiskFormat != nil && rootDisk == nil {
            throw ValidationError("--root-disk-format needs --root-disk")
        }
        if (initrd != nil || rootDisk != nil) && kernel == nil {
            throw ValidationError("--initrd and --root-disk need --kernel")
        }
    }

    func run() async throws {
        let request = VMs.ImageCreateRequest(
            id: id, name: name, osDistro: osDistro, osVersion: osVersion, architecture: architecture,
            description: description, dockerReference: dockerReference, kernelPath: kernel, initrdPath: initrd,
            rootDiskPath: rootDisk, rootDiskFormat: rootDiskFormat?.rawValue)
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.importImage(request), client, table: OutputFormatter.imageDetail)
        }
    }
}
