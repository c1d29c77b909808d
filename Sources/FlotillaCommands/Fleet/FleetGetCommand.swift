import ArgumentParser
import FlotillaClient

struct FleetGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Show an instance's registry record (desired and observed state, host, revisions).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    func run() async throws {
        let reference = InstanceReference(instance)
        try await ClientRunner.run(client) { api in
            let vm = try await api.globalVM(id: try await api.fleetID(reference))
            try ClientRunner.emit(vm, client, table: OutputFormatter.fleetDetail)
        }
    }
}
