import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct WorkerDrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Stop placing new instances on a worker; optionally move its instances away.",
        discussion: """
            With --migrate, kvm VMs that run move live (the guest keeps running, QEMU live migration) when both hosts \
            can; the others move cold (stopped, re-created on another worker and started), docker containers always. \
            The answer lists each instance's move: live or cold, moved or failed, and the reason for a cold move or a \
            failure. The command exits 1 when some instances could not be moved (they are listed).
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The worker's id.")
    var id: String

    @Flag(help: "Move the worker's instances to other workers: running kvm VMs live, the others cold (stop, re-create, start).")
    var migrate = false

    @Option(help: "Seconds the migration may take (server default 300).")
    var deadline: Int?

    func validate() throws {
        if let deadline, !(1...3600).contains(deadline) { throw ValidationError("--deadline must be 1 to 3600 seconds") }
        if deadline != nil && !migrate { throw ValidationError("--deadline needs --migrate") }
    }

    func run() async throws {
        let (id, migrate, deadline) = (id, migrate, deadline)
        try await ClientRunner.run(client) { api in
            let change = try await api.drainWorker(id: id, migrate: migrate, deadlineSeconds: deadline)
            try ClientRunner.emit(change, client, table: OutputFormatter.workerStatusChange)
            // The worker is draining either way; a migration that left instances behind did not do what was asked.
            if let left = change.notMigrated, !left.isEmpty {
                ClientRunner.printError(
                    "error: \(left.count) instance(s) could not be moved off \(change.workerId) and remain there: "
                        + left.joined(separator: ", "))
                throw ExitCode.failure
            }
        }
    }
}
