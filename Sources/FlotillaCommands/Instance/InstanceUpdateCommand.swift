import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct InstanceUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change an instance's resources or labels.",
        discussion: "Applied live where the backend can, else on the next start; the output says which. "
            + "--label adds or changes labels and keeps the others."
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Option(help: "CPU cores.")
    var cpus: Double?

    @Option(help: "Memory, e.g. 512MiB, 1GiB, 2G or bytes.")
    var memory: String?

    @Option(name: .customLong("label"), help: "A label k=v to add or change (repeatable).")
    var labels: [String] = []

    func validate() throws {
        guard cpus != nil || memory != nil || !labels.isEmpty else {
            throw ValidationError("nothing to change: give --cpus, --memory or --label")
        }
        _ = try parsed()
    }

    func run() async throws {
        let (memoryBytes, labelMap) = try parsed()
        let cpus = cpus
        try await ClientRunner.run(client) { api in
            let reference = InstanceReference(instance)
            var metadata: Compute.Metadata?
            let id: String
            if labelMap.isEmpty {
                id = try await api.resolveID(reference)
            } else {
                let current = try await api.instance(reference)
                id = current.id
                metadata = Compute.Metadata(labels: (current.metadata.labels ?? [:]).merging(labelMap) { $1 })
            }
            var resources: Compute.Resources?
            if cpus != nil || memoryBytes != nil {
                resources = Compute.Resources(
                    cpu: cpus.map { Compute.CPU(cores: $0) }, memory: memoryBytes.map { Compute.Memory(limit: $0) })
            }
            let updated = try await api.updateInstance(
                id: id, Compute.UpdateRequest(resources: resources, metadata: metadata))
            try ClientRunner.emit(updated, client, table: OutputFormatter.instanceDetail)
        }
    }

    private func parsed() throws -> (memory: Int64?, labels: [String: String]) {
        do {
            if let cpus, !(cpus > 0 && cpus.isFinite) { throw InvalidInput("--cpus must be a positive number") }
            let memoryBytes = try memory.map(ByteSize.parse)
            if let memoryBytes, memoryBytes <= 0 { throw InvalidInput("--memory must be larger than 0") }
            return (memoryBytes, try KeyValueParser.parseAll(labels))
        } catch let error as InvalidInput {
            throw ValidationError(error.message)
        }
    }
}
