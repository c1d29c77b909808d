import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct FleetMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Move an instance to another host and wait until it runs there.",
        discussion: """
            With --target (or --to), the instance moves to exactly that worker; without it, the leader's scheduler \
            picks one. With --live, a running kvm VM keeps running while its memory and disks move (QEMU live \
            migration); the command prints the guest's downtime and the total time. Without --live, and always for \
            docker containers and VMs that are not running, the move is cold: the instance is stopped, re-created on \
            the new host and started; the command prints why it was cold. A refused move changes nothing: exit \
            status 1 with NOT_FOUND for an unknown worker, INVALID_STATE when the worker is the instance's own or \
            takes no instances (drained, offline), RESOURCE_LIMIT_EXCEEDED when it cannot run the instance (or, \
            without a target, when no other host can). A failed live migration leaves the VM running where it was: \
            exit status 1 with the server's reason.
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Option(
        name: [.customLong("target"), .customLong("to")],
        help: "The worker (host id) to move it to (--to is the same); default: the scheduler picks one.")
    var worker: String?

    @Flag(help: "Keep the guest running while it moves (kvm); docker containers move cold whatever is asked.")
    var live = false

    func validate() throws {
        if let worker, worker.isEmpty { throw ValidationError("--target needs a worker id") }
    }

    func run() async throws {
        let reference = InstanceReference(instance)
        let (worker, live) = (worker, live)
        try await ClientRunner.run(client, timeout: FleetRunner.waitingTimeout) { api in
            let id = try await api.fleetID(reference)
            let before = try await api.globalVM(id: id).migration
            let vm = try await api.fleetMigrate(id: id, to: worker, live: live)
            // The answer's record is this move's only when it changed: a server that records no cold moves answers an
            // older one.
            let migration = vm.migration == before ? nil : vm.migration
            try ClientRunner.emit(vm, client) { OutputFormatter.fleetMigrateResult($0, migration: migration) }
            if let migration, migration.outcome == "failed" {
                ClientRunner.printError(
                    "error: \(vm.name) (\(vm.id)) did not move: \(migration.reason ?? "the server gave no reason")")
                throw ExitCode(1)
            }
            try FleetRunner.finish("migrate", vm, accepted: false, waited: true, client, printed: true)
        }
    }
}
