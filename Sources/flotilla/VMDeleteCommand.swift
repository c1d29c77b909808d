import ArgumentParser
import FlotillaClient

struct VMDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a VM (any state).")

    @OptionGroup var target: VMTarget

    func run() async throws {
        let wait = target.wait
        try await VMAction.run(target) { api, uuid in
            try await api.deleteVM(uuid: uuid, wait: wait)
        }
    }
}
