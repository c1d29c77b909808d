import ArgumentParser
import FlotillaAPI
import FlotillaClient
import FlotillaCore

struct FleetCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an instance anywhere in the cluster; with --wait, until it runs.",
        discussion: """
            The leader places it (--zone, --worker, --worker-label and --strategy constrain where). The command \
            can be given with repeated --command or after `--`, e.g. \
            `flotilla fleet create web --backend docker --image busybox --wait -- sleep 3600`. \
            Memory is rounded up to whole MiB, storage to whole GiB.
            """)

    @OptionGroup var client: ClientOptions

    @OptionGroup var spec: InstanceSpecOptions

    @Option(name: [.customShort("l"), .customLong("label")], help: "A label k=v (repeatable).")
    var labels: [String] = []

    @Option(name: .customLong("metadata"), help: "A metadata entry k=v (repeatable).")
    var metadata: [String] = []

    @Option(help: "Place in this zone.")
    var zone: String?

    @Option(help: "Place on this host (worker id).")
    var worker: String?

    @Option(name: .customLong("worker-label"), help: "Place on a host with this label k=v (repeatable).")
    var workerLabels: [String] = []

    @Option(help: "Placement strategy: spread or binpack.")
    var strategy: PlacementStrategy?

    @Option(help: "Restart policy: never, always, unless-stopped, on-failure or on-failure:N (server default always).")
    var restartPolicy: String?

    @Flag(help: "Wait until it runs (up to the server's action timeout); exit status 1 if it does not by then.")
    var wait = false

    @Option(help: "An Idempotency-Key: retrying with the same key and arguments does not create twice.")
    var idempotencyKey: String?

    func validate() throws {
        _ = try makeRequest()
    }

    func run() async throws {
        let (request, wait, key) = (try makeRequest(), wait, idempotencyKey)
        try await ClientRunner.run(client, timeout: FleetRunner.waitingTimeout) { api in
            let (vm, accepted) = try await api.fleetCreate(request, waitRunning: wait, idempotencyKey: key)
            try FleetRunner.finish("create", vm, accepted: accepted, waited: wait, client)
        }
    }

    /// The wire request for these arguments; a malformed size or pair is a `ValidationError`.
    func makeRequest() throws -> Global.CreateRequest {
        do {
            let cpus = try spec.checkedCPUs()
            let memoryMB = try spec.memory.map { try Self.rounded(ByteSize.parse($0), unit: 1 << 20, "--memory") }
            let storageGB = try spec.storage.map { try Self.rounded(ByteSize.parse($0), unit: 1 << 30, "--storage") }
            let labelMap = try KeyValueParser.parseAll(labels)
            let metadataMap = try KeyValueParser.parseAll(metadata, what: "metadata entry")
            let workerLabelMap = try KeyValueParser.parseAll(workerLabels, what: "worker label")
            let placement = Global.VM.Placement(
                zone: zone, labels: workerLabelMap.isEmpty ? nil : workerLabelMap, workerId: worker, strategy: strategy?.rawValue)
            let resources = Global.CreateRequest.Resources(cpuCores: cpus, memoryMB: memoryMB, storageGB: storageGB)
            let networks = try spec.checkedNetworks()
            let disks = try spec.checkedDisks()
            try spec.checkedKVMTexts()
            return Global.CreateRequest(
                name: spec.name, backend: spec.backend, kind: spec.type?.rawValue, image: spec.image, command: spec.command,
                resources: resources == Global.CreateRequest.Resources() ? nil : resources,
                labels: labelMap.isEmpty ? nil : labelMap, metadata: metadataMap.isEmpty ? nil : metadataMap,
                placement: placement == Global.VM.Placement() ? nil : placement, restartPolicy: restartPolicy,
                networks: networks?.map { Global.VM.NetworkInterface(network: $0.network, address: $0.address?.description) },
                disks: disks?.map {
                    Global.VM.Disk(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly ? true : nil)
                },
                kernelArguments: spec.kernelArguments, initrdImage: spec.initrdImage, rootImage: spec.rootImage)
        } catch let error as InvalidInput {
            throw ValidationError(error.message)
        }
    }

    /// `bytes` in whole `unit`s, rounded up; at least one.
    static func rounded(_ bytes: Int64, unit: Int64, _ option: String) throws -> Int64 {
        guard bytes > 0 else { throw InvalidInput("\(option) must be larger than 0") }
        return bytes / unit + (bytes % unit == 0 ? 0 : 1)
    }
}
