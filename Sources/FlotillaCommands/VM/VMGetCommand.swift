import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct VMGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one VM.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The VM's uuid or its exact name.")
    var vm: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let found = try await api.vm(InstanceReference(vm))
            guard client.output == .table else { return try ClientRunner.emit(found, client, table: OutputFormatter.vmDetail) }
            // Surface C has no migration field: the table adds surface D's (the same registry record); without it (an
            // older server) the table shows what surface C holds.
            let migration = try? await api.globalVM(id: found.uuid).migration
            ClientRunner.printOut(OutputFormatter.vmDetail(found, migration: migration ?? nil))
        }
    }
}
