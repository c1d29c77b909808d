import ArgumentParser
import FlotillaClient

struct InstancePauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a running instance.")

    @OptionGroup var target: InstanceTarget

    func run() async throws {
        let wait = target.wait
        try await InstanceAction.run("pause", target) { api, id in
            try await api.pause(id: id, wait: wait)
        }
    }
}
