import ArgumentParser
import FlotillaClient

struct InstanceUnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Resume a paused instance.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the result.")
    var noWait = false

    func run() async throws {
        let wait = !noWait
        try await InstanceAction.run("unpause", instance: instance, options: client) { api, id in
            try await api.unpause(id: id, wait: wait)
        }
    }
}
