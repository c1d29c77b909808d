import ArgumentParser
import FlotillaClient

struct InstanceRestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart a running instance.")

    @OptionGroup var target: InstanceTarget

    @Flag(help: "Reset at once instead of a graceful restart.")
    var hard = false

    func run() async throws {
        let (hard, wait, seconds) = (hard, target.wait, target.waiting.seconds())
        try await ActionRunner.act(.instance, "restart", reaching: "running", target, waitSeconds: seconds) { api, id in
            try await api.restart(id: id, hard: hard, wait: wait, waitSeconds: seconds)
        }
    }
}
