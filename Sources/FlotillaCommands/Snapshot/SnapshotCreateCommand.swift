import ArgumentParser
import FlotillaClient

struct SnapshotCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Take a snapshot of an instance (it goes on running).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Option(help: "The snapshot's name (default: the instance's name and the snapshot's id).")
    var name: String?

    func run() async throws {
        let (reference, name) = (InstanceReference(instance), name)
        try await ClientRunner.run(client) { api in
            let snapshot = try await api.takeSnapshot(vm: try await api.fleetID(reference), name: name)
            try ClientRunner.emit(snapshot, client, table: OutputFormatter.snapshotDetail)
        }
    }
}
