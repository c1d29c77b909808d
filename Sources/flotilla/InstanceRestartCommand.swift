import ArgumentParser
import FlotillaClient

struct InstanceRestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart a running instance.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(help: "Reset at once instead of a graceful restart.")
    var hard = false

    @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the result.")
    var noWait = false

    func run() async throws {
        let (hard, wait) = (hard, !noWait)
        try await InstanceAction.run("restart", instance: instance, options: client) { api, id in
            try await api.restart(id: id, hard: hard, wait: wait)
        }
    }
}
