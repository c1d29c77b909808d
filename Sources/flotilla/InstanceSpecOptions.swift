import ArgumentParser
import FlotillaClient

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

    /// The command from `--command` and after `--`, in order; nil when none was given.
    var command: [String]? {
        let all = commandArguments + trailingCommand
        return all.isEmpty ? nil : all
    }

    /// `--cpus`, checked: nil when left out.
    func checkedCPUs() throws(InvalidInput) -> Double? {
        if let cpus, !(cpus > 0 && cpus.isFinite) { throw InvalidInput("--cpus must be a positive number") }
        return cpus
    }
}
