import ArgumentParser
import FlotillaAPI
import FlotillaClient
import FlotillaCore

/// What `flotilla instance create` and `flotilla fleet create` both take: the name, backend, kind, image, size and
/// command of the instance. Sizes are checked by each command, which sends them in its surface's own units.
struct InstanceSpecOptions: ParsableArguments {
    @Argument(help: "The instance name (unique in the cluster).")
    var name: String

    @Option(help: "Backend: sim, docker or kvm.")
    var backend: String

    @Option(name: [.customLong("type"), .customLong("kind")], help: "vm or container (derived from the backend when left out).")
    var type: InstanceType?

    @Option(help: "The image to run.")
    var image: String

    @Option(help: "CPU cores (default 1).")
    var cpus: Double?

    @Option(help: "Memory, e.g. 512MiB, 1GiB, 2G or bytes (default 512 MiB).")
    var memory: String?

    @Option(help: "Storage, e.g. 10GiB.")
    var storage: String?

    @Option(
        name: .customLong("command"), parsing: .unconditionalSingleValue,
        help: "One argument of the command to run (repeatable, in order).")
    var commandArguments: [String] = []

    @Argument(parsing: .postTerminator, help: "The command to run, after `--`.")
    var trailingCommand: [String] = []

    @Option(
        name: .customLong("network"),
        help: "An interface on a Flotilla network: NAME, or NAME=ADDRESS for a fixed address (repeatable, in order).")
    var networks: [String] = []

    @Option(
        name: .customLong("disk"),
        help: "An additional disk (kvm): ID:size=SIZE (empty) or ID:image=IMAGE[:size=SIZE][:ro] (repeatable, in order).")
    var disks: [String] = []

    @Option(name: .customLong("kernel-args"), help: "Kernel command line added after Flotilla's own (kvm).")
    var kernelArguments: String?

    @Option(name: .customLong("initrd-image"), help: "A catalog image whose initrd replaces the image's (kvm).")
    var initrdImage: String?

    @Option(name: .customLong("root-image"), help: "A catalog image whose disk is the root disk (kvm).")
    var rootImage: String?

    /// The command from `--command` and after `--`, in order; nil when none was given.
    var command: [String]? {
        let all = commandArguments + trailingCommand
        return all.isEmpty ? nil : all
    }

    /// `--network` values, parsed: nil when none was given.
    func checkedNetworks() throws(InvalidInput) -> [NetworkInterface]? {
        var parsed: [NetworkInterface] = []
        for text in networks { parsed.append(try NetworkArgument.parse(text)) }
        return parsed.isEmpty ? nil : parsed
    }

    /// `--disk` values, parsed: nil when none was given. A disk id given twice is an error.
    func checkedDisks() throws(InvalidInput) -> [DiskSpec]? {
        var parsed: [DiskSpec] = []
        for text in disks {
            let disk = try DiskArgument.parse(text)
            guard !parsed.contains(where: { $0.id == disk.id }) else {
                throw InvalidInput("invalid --disk '\(text)': disk id '\(disk.id)' is given more than once")
            }
            parsed.append(disk)
        }
        return parsed.isEmpty ? nil : parsed
    }

    /// `--kernel-args`, `--initrd-image` and `--root-image`: non-empty when given.
    func checkedKVMTexts() throws(InvalidInput) {
        for (option, value) in [("--kernel-args", kernelArguments), ("--initrd-image", initrdImage), ("--root-image", rootImage)] {
            if let value, value.isEmpty { throw InvalidInput("\(option) must not be empty") }
        }
    }

    /// `--cpus`, checked: nil when left out.
    func checkedCPUs() throws(InvalidInput) -> Double? {
        if let cpus, !(cpus > 0 && cpus.isFinite) { throw InvalidInput("--cpus must be a positive number") }
        return cpus
    }
}
