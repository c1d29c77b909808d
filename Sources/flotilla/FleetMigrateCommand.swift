import ArgumentParser
import FlotillaClient

struct FleetMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Move an instance to another host and wait until it runs there.",
        discussion: """
            The leader's scheduler picks the new host (the route takes no target host). Not live migration: \
            the instance is stopped, re-created on the new host and started. Exit status 1 with \
            RESOURCE_LIMIT_EXCEEDED when no other host can take it.
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    func run() async throws {
        let reference = InstanceReference(instance)
        try await ClientRunner.run(client, timeout: FleetRunner.waitingTimeout) { api in
            let vm = try await api.fleetMigrate(id: try await api.fleetID(reference))
            try FleetRunner.finish("migrate", vm, accepted: false, waited: true, client)
        }
    }
}
