import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct FlavorCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a flavor (admin key).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The flavor name.")
    var name: String

    @Option(help: "Virtual CPUs.")
    var vcpus: Int

    @Option(help: "Memory in MiB.")
    var memoryMb: Int64

    @Option(help: "Root disk in GB.")
    var diskGb: Int64

    @Option(help: "The flavor id (default: the name).")
    var id: String?

    @Option(help: "Ephemeral disk in GB.")
    var ephemeralGb: Int64?

    @Option(help: "Swap in MiB.")
    var swapMb: Int64?

    @Option(help: "A description.")
    var description: String?

    @Flag(help: "Visible only to admins.")
    var `private` = false

    func validate() throws {
        guard vcpus >= 1 else { throw ValidationError("--vcpus must be 1 or more") }
        guard memoryMb >= 1 else { throw ValidationError("--memory-mb must be 1 or more") }
        guard diskGb >= 0 else { throw ValidationError("--disk-gb must be 0 or more") }
    }

    func run() async throws {
        let request = VMs.FlavorCreateRequest(
            id: id, name: name, vcpus: vcpus, memoryMB: memoryMb, diskGB: diskGb, ephemeralGB: ephemeralGb,
            swapMB: swapMb, isPublic: `private` ? false : nil, description: description)
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.createFlavor(request), client, table: OutputFormatter.flavorDetail)
        }
    }
}
