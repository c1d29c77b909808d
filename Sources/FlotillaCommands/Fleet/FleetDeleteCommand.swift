import ArgumentParser
import FlotillaClient

struct FleetDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete an instance (a running one is stopped gracefully first).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(help: "Wait until it is gone (up to the server's action timeout); exit status 1 if it is not by then.")
    var wait = false

    func run() async throws {
        let (reference, wait) = (InstanceReference(instance), wait)
        try await ClientRunner.run(client, timeout: FleetRunner.waitingTimeout) { api in
            let (vm, accepted) = try await api.fleetDelete(id: try await api.fleetID(reference), wait: wait)
            try FleetRunner.finish("delete", vm, accepted: accepted, waited: wait, client)
        }
    }
}
