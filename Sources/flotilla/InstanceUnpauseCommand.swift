import ArgumentParser
import FlotillaClient

struct InstanceUnpauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Resume a paused instance.")

    @OptionGroup var target: InstanceTarget

    func run() async throws {
        let wait = target.wait
        try await InstanceAction.run("unpause", target) { api, id in
            try await api.unpause(id: id, wait: wait)
        }
    }
}
