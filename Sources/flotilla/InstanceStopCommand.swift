import ArgumentParser
import FlotillaClient

struct InstanceStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a running instance.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(help: "Kill at once instead of asking the instance to shut down.")
    var force = false

    @Option(help: "Seconds to wait for a graceful shutdown before killing (server default when left out).")
    var timeout: Int?

    @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the result.")
    var noWait = false

    func validate() throws {
        if let timeout, timeout < 0 { throw ValidationError("--timeout must be 0 or more seconds") }
    }

    func run() async throws {
        let (force, timeout, wait) = (force, timeout, !noWait)
        // The server may wait for the grace period before answering: leave room beyond it.
        let deadline = Duration.seconds(max(90, (timeout ?? 0) + 60))
        try await InstanceAction.run("stop", instance: instance, options: client, timeout: deadline) { api, id in
            try await api.stop(id: id, force: force, timeout: timeout, wait: wait)
        }
    }
}
