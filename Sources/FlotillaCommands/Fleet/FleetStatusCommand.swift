import ArgumentParser
import FlotillaClient

struct FleetStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show an instance's live status and usage, from the host that runs it.",
        discussion: "Exit status 1 with HOST_UNREACHABLE when that host is offline or does not answer.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    func run() async throws {
        let reference = InstanceReference(instance)
        try await ClientRunner.run(client) { api in
            let status = try await api.globalStatus(id: try await api.fleetID(reference))
            try ClientRunner.emit(status, client, table: OutputFormatter.fleetStatus)
        }
    }
}
