import ArgumentParser
import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaHost
import Foundation

/// The format of a disk image.
enum DiskFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case raw, qcow2
}

struct ImageImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an image into the catalog (admin key).",
        discussion: """
            An image runs on a backend when it carries what that backend needs: kvm a kernel (--kernel), docker \
            a reference (--docker-reference); sim needs nothing. A kvm entry is a kernel alone, a bundle (a \
            kernel with --initrd and/or --disk), an initrd alone, or a disk alone (a root disk or a volume, raw \
            or qcow2); a VM names separate entries with config.initrdImage, config.rootImage and config.disks. \
            Paths are paths on the hosts, not uploaded. A disk's format is read from the file's header when the \
            file is on this machine; otherwise give --disk-format.
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

    @Option(name: [.customLong("disk"), .customLong("root-disk")], help: "For kvm: a disk image's path on the hosts.")
    var rootDisk: String?

    @Option(
        name: [.customLong("disk-format"), .customLong("root-disk-format")],
        help: "The disk's format: raw or qcow2 (default: read from the file).")
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
        let artifacts = ImageArtifacts(
            kernelPath: kernel, initrdPath: initrd, rootDiskPath: rootDisk, rootDiskFormat: rootDiskFormat?.rawValue)
        if let problem = artifacts.entryProblem {
            let options = ["kernel": "--initrd and --disk without --kernel", "diskFormat": "--disk-format"]
            throw ValidationError("\(options[problem.field] ?? "--kernel"): \(problem.message)")
        }
    }

    func run() async throws {
        let format = try diskFormat()
        let request = VMs.ImageCreateRequest(
            id: id, name: name, osDistro: osDistro, osVersion: osVersion, architecture: architecture,
            description: description, dockerReference: dockerReference, kernelPath: kernel, initrdPath: initrd,
            rootDiskPath: rootDisk, rootDiskFormat: format)
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.importImage(request), client, table: OutputFormatter.imageDetail)
        }
    }

    /// The disk's format: given, or probed from the file when it is on this machine.
    private func diskFormat() throws -> String? {
        guard let rootDisk else { return nil }
        if let rootDiskFormat { return rootDiskFormat.rawValue }
        guard FileManager.default.isReadableFile(atPath: rootDisk) else {
            throw ValidationError("--disk \(rootDisk) is not on this machine: give its format with --disk-format raw|qcow2")
        }
        do { return try ImageImporter.probeDiskFormat(path: rootDisk) } catch { throw ValidationError("--disk: \(error.description)") }
    }
}
