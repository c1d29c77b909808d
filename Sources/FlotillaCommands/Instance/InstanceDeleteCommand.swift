import ArgumentParser
import FlotillaClient

struct InstanceDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete an instance (a running one is stopped gracefully first).")

    @OptionGroup var target: InstanceTarget

    @Flag(help: "Delete at once without a graceful stop.")
    var force = false

    func run() async throws {
        let (force, wait, seconds) = (force, target.wait, target.waiting.seconds())
        try await ActionRunner.act(.instance, "delete", reaching: "deleted", target, waitSeconds: seconds) { api, id in
            try await api.deleteInstance(id: id, force: force, wait: wait, waitSeconds: seconds)
        }
    }
}
