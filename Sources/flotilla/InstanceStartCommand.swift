import ArgumentParser
import FlotillaClient

struct InstanceStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a stopped instance.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the result.")
    var noWait = false

    func run() async throws {
        let wait = !noWait
        try await InstanceAction.run("start", instance: instance, options: client) { api, id in
            try await api.start(id: id, wait: wait)
        }
    }
}
