import ArgumentParser
import FlotillaClient

struct InstanceDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete an instance (a running one is stopped gracefully first).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(help: "Delete at once without a graceful stop.")
    var force = false

    @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the result.")
    var noWait = false

    func run() async throws {
        let (force, wait) = (force, !noWait)
        try await InstanceAction.run("delete", instance: instance, options: client) { api, id in
            try await api.deleteInstance(id: id, force: force, wait: wait)
        }
    }
}
