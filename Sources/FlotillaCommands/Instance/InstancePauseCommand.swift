import ArgumentParser
import FlotillaClient

struct InstancePauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Pause a running instance (an instance already paused is left as it is).")

    @OptionGroup var target: InstanceTarget

    func run() async throws {
        let (wait, seconds) = (target.wait, target.waiting.seconds())
        try await ActionRunner.act(.instance, "pause", reaching: "paused", target, waitSeconds: seconds) { api, id in
            try await api.pause(id: id, wait: wait, waitSeconds: seconds)
        }
    }
}
