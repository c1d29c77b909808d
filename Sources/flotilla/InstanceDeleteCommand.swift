import ArgumentParser
import FlotillaClient

struct InstanceDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete an instance (a running one is stopped gracefully first).")

    @OptionGroup var target: InstanceTarget

    @Flag(help: "Delete at once without a graceful stop.")
    var force = false

    func run() async throws {
        let (force, wait) = (force, target.wait)
        try await InstanceAction.run("delete", target) { api, id in
            try await api.deleteInstance(id: id, force: force, wait: wait)
        }
    }
}
