import ArgumentParser
import FlotillaClient

struct InstanceUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Show an instance's live resource usage.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let id = try await api.resolveID(InstanceReference(instance))
            let usage = try await api.usage(id: id)
            try ClientRunner.emit(usage, client, table: OutputFormatter.usage)
        }
    }
}
