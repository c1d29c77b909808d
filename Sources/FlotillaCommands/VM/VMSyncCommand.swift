import ArgumentParser
import FlotillaClient

struct VMSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Refresh a VM's state from its backend and show it.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The VM's uuid or its exact name.")
    var vm: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let uuid = try await api.resolveVMID(InstanceReference(vm))
            let synced = try await api.syncVM(uuid: uuid)
            try ClientRunner.emit(synced, client, table: OutputFormatter.vmDetail)
        }
    }
}
