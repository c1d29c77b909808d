import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct SnapshotDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a snapshot (instances made from it keep running).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The snapshot's id.")
    var id: String

    func run() async throws {
        let id = id
        try await ClientRunner.run(client) { api in
            let snapshot = try await api.deleteSnapshot(id: id)
            try ClientRunner.emit(snapshot, client) { "Deleted snapshot \($0.name) (\($0.id)).\n" }
        }
    }
}
