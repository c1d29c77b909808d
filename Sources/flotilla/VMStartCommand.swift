import ArgumentParser
import FlotillaClient

struct VMStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a SHUTOFF VM.")

    @OptionGroup var target: VMTarget

    func run() async throws {
        let wait = target.wait
        try await VMAction.run(target) { api, uuid in
            try await api.startVM(uuid: uuid, wait: wait)
        }
    }
}
