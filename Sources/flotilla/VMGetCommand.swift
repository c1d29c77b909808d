import ArgumentParser
import FlotillaClient

struct VMGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one VM.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The VM's uuid or its exact name.")
    var vm: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let found = try await api.vm(InstanceReference(vm))
            try ClientRunner.emit(found, client, table: OutputFormatter.vmDetail)
        }
    }
}
