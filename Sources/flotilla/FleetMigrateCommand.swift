import ArgumentParser
import FlotillaClient

struct FleetMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Move an instance to another host and wait until it runs there.",
        discussion: """
            With --to, the instance moves to exactly that worker; without it, the leader's scheduler picks one. \
            Not live migration: the instance is stopped, re-created on the new host and started. A refused move \
            changes nothing: exit status 1 with NOT_FOUND for an unknown worker, INVALID_STATE when the worker is \
            the instance's own or takes no instances (drained, offline), RESOURCE_LIMIT_EXCEEDED when it cannot run \
            the instance (or, without --to, when no other host can).
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Option(name: .customLong("to"), help: "The worker (host id) to move it to; default: the scheduler picks one.")
    var worker: String?

    func validate() throws {
        if let worker, worker.isEmpty { throw ValidationError("--to needs a worker id") }
    }

    func run() async throws {
        let reference = InstanceReference(instance)
        try await ClientRunner.run(client, timeout: FleetRunner.waitingTimeout) { api in
            let vm = try await api.fleetMigrate(id: try await api.fleetID(reference), to: worker)
            try FleetRunner.finish("migrate", vm, accepted: false, waited: true, client)
        }
    }
}
