import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct SnapshotListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List snapshots, oldest first: all of them, or those of one instance.")

    @OptionGroup var client: ClientOptions

    @OptionGroup var quiet: QuietOption

    @Option(help: "Only the snapshots of this instance (its id, or the name of a live one).")
    var vm: String?

    func validate() throws {
        try quiet.check(client)
    }

    func run() async throws {
        let reference = vm.map(InstanceReference.init)
        try await ClientRunner.run(client) { api in
            var id: String?
            if let reference { id = try await api.fleetID(reference) }
            try ClientRunner.emitList(
                try await api.snapshots(vm: id), client, quiet: quiet, ids: { $0.items.map(\.id) }, table: OutputFormatter.snapshotList)
        }
    }
}
