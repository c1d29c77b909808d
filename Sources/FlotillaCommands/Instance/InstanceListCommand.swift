import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct InstanceListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List instances.")

    @OptionGroup var client: ClientOptions

    @OptionGroup var quiet: QuietOption

    @Option(help: "Only this backend (sim, docker, kvm).")
    var backend: String?

    @Option(help: "Only this state (running, stopped, ...).")
    var state: String?

    @Option(name: .customLong("label"), help: "Only instances with this label k=v (repeatable; all must match).")
    var labels: [String] = []

    @Option(help: "Page number, from 1.")
    var page: Int?

    @Option(help: "Instances per page (server default 50, at most 500).")
    var pageSize: Int?

    func validate() throws {
        try quiet.check(client)
        if let page, page < 1 { throw ValidationError("--page must be 1 or more") }
        if let pageSize, pageSize < 1 { throw ValidationError("--page-size must be 1 or more") }
        _ = try labelMap()
    }

    func run() async throws {
        let labelMap = try labelMap()
        try await ClientRunner.run(client) { api in
            let list = try await api.listInstances(
                backend: backend, state: state, labels: labelMap, page: page, pageSize: pageSize)
            try ClientRunner.emitList(list, client, quiet: quiet, ids: { $0.instances.map(\.id) }, table: OutputFormatter.instanceList)
        }
    }

    private func labelMap() throws -> [String: String] {
        do {
            let map = try KeyValueParser.parseAll(labels)
            _ = try FlotillaClient.labelSelector(map)
            return map
        } catch let error as InvalidInput {
            throw ValidationError(error.message)
        } catch let error as FlotillaClientError {
            throw ValidationError(error.description)
        }
    }
}
