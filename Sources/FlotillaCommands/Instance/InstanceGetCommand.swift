import ArgumentParser
import FlotillaClient

struct InstanceGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one instance.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let found = try await api.instance(InstanceReference(instance))
            try ClientRunner.emit(found, client, table: OutputFormatter.instanceDetail)
        }
    }
}
