import ArgumentParser
import FlotillaClient

struct VMStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop an ACTIVE VM.")

    @OptionGroup var target: VMTarget

    func run() async throws {
        let wait = target.wait
        try await VMAction.run(target) { api, uuid in
            try await api.stopVM(uuid: uuid, wait: wait)
        }
    }
}
