import ArgumentParser
import FlotillaAPI
import FlotillaClient
import FlotillaCore

struct FleetListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List instances across the cluster, oldest first, every page.",
        discussion: """
            Follows the server's pages until the end (--limit caps the total). Filters combine; -l takes a \
            label selector: k=v (equal), k!=v (absent or different), k (present), !k (absent), comma-separated \
            or repeated, all must hold. Example: flotilla fleet ls --state running -l tier=web,env!=dev -q
            """,
        aliases: ["list"])

    @OptionGroup var client: ClientOptions

    @Option(help: "Only instances on this host (worker id).")
    var host: String?

    @Option(help: "Only instances on the hosts of this zone.")
    var zone: String?

    @Option(help: "Only these states, comma-separated: \(FleetListCommand.states.joined(separator: ", ")).")
    var state: String?

    @Option(help: "Only this backend: kvm, docker or sim.")
    var backend: String?

    @Option(help: "Only this kind: vm or container.")
    var kind: InstanceType?

    @Option(name: [.customShort("l"), .customLong("label")], help: "A label selector, e.g. tier=web,env!=dev (repeatable).")
    var labels: [String] = []

    @Option(help: "At most this many instances in all.")
    var limit: Int?

    @Option(help: "Instances per request, 1 to 500 (default 100).")
    var pageSize: Int = 100

    @OptionGroup var quiet: QuietOption

    static var states: [String] { InstanceState.allCases.filter { $0 != .deleted }.map(\.rawValue) }

    func validate() throws {
        try quiet.check(client)
        if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
        if !(1...FlotillaClient.maxFleetPageSize).contains(pageSize) {
            throw ValidationError("--page-size must be from 1 to \(FlotillaClient.maxFleetPageSize)")
        }
        if let backend, BackendKind(rawValue: backend) == nil { throw ValidationError("--backend must be kvm, docker or sim") }
        for part in (state ?? "").split(separator: ",") where !Self.states.contains(String(part)) {
            throw ValidationError("--state takes \(Self.states.joined(separator: ", ")) (got \(part))")
        }
        do {
            _ = try LabelSelector.parse(selector)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The `-l` values as one selector.
    var selector: String? { labels.isEmpty ? nil : labels.joined(separator: ",") }

    func run() async throws {
        let filter = FlotillaClient.FleetFilter(
            host: host, zone: zone, state: state, backend: backend, kind: kind?.rawValue, label: selector)
        let (limit, pageSize, quiet) = (limit, pageSize, quiet)
        try await ClientRunner.run(client) { api in
            let list = try await api.fleetVMs(filter, limit: limit, pageSize: pageSize)
            try ClientRunner.emitList(list, client, quiet: quiet, ids: { $0.items.map(\.id) }, table: OutputFormatter.fleetList)
        }
    }
}
