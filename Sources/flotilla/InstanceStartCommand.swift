import ArgumentParser
import FlotillaClient

struct InstanceStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a stopped instance.")

    @OptionGroup var target: InstanceTarget

    func run() async throws {
        let wait = target.wait
        try await InstanceAction.run("start", target) { api, id in
            try await api.start(id: id, wait: wait)
        }
    }
}
