import ArgumentParser
import FlotillaClient

struct InstanceUnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpause", abstract: "Resume a paused instance (an instance already running is left as it is).")

    @OptionGroup var target: InstanceTarget

    func run() async throws {
        let (wait, seconds) = (target.wait, target.waiting.seconds())
        try await ActionRunner.act(.instance, "unpause", reaching: "running", target, waitSeconds: seconds) { api, id in
            try await api.unpause(id: id, wait: wait, waitSeconds: seconds)
        }
    }
}
