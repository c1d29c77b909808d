import ArgumentParser
import FlotillaClient

struct SnapshotRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract:
            "Make a new instance from a snapshot, on the host that keeps it or on --target (which copies it first); with --wait, until it runs."
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The snapshot's id.")
    var id: String

    @Option(help: "The new instance's name.")
    var name: String

    @Option(help: "The host to run it on (default: the host that keeps the snapshot; kvm snapshots only).")
    var target: String?

    @Flag(help: "Wait until it runs (up to the server's action timeout); exit status 1 if it does not by then.")
    var wait = false

    func run() async throws {
        let (id, name, target, wait) = (id, name, target, wait)
        try await ClientRunner.run(client, timeout: FleetRunner.waitingTimeout) { api in
            let (vm, accepted) = try await api.restoreSnapshot(id: id, name: name, target: target, waitRunning: wait)
            try FleetRunner.finish("restore", vm, accepted: accepted, waited: wait, client)
        }
    }
}
