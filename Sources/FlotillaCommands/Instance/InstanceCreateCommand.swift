import ArgumentParser
import FlotillaAPI
import FlotillaClient
import FlotillaCore

/// `vm` or `container`.
enum InstanceType: String, ExpressibleByArgument, CaseIterable, Sendable {
    case vm, container
}

/// `spread` or `binpack`.
enum PlacementStrategy: String, ExpressibleByArgument, CaseIterable, Sendable {
    case spread, binpack
}

struct InstanceCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create an instance and (unless --no-wait) wait until it runs.",
        discussion: """
            The command the instance runs can be given with repeated --command (one argument each) or \
            after `--`, e.g. `flotilla instance create web --backend docker --image busybox -- sleep 3600`.
            Sizes take B, K, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024), e.g. 512MiB, 1GiB, 2G.
            A VM on a Flotilla network with a fixed address and an empty 8 MB disk: \
            `flotilla instance create vm1 --backend kvm --image debian --network vmnet=10.77.0.10 --disk data:size=8M`.
            """
    )

    @OptionGroup var client: ClientOptions

    @OptionGroup var spec: InstanceSpecOptions

    @Option(name: .customLong("env"), help: "An environment variable KEY=VALUE (repeatable).")
    var env: [String] = []

    @Option(name: .customLong("port"), help: "A port mapping HOST:CONTAINER, e.g. 8080:80 (repeatable).")
    var ports: [String] = []

    @Option(name: .customLong("volume"), help: "A volume HOST_PATH:PATH, e.g. /data:/data (repeatable).")
    var volumes: [String] = []

    @Option(name: .customLong("label"), help: "A label k=v (repeatable).")
    var labels: [String] = []

    @Option(help: "Place in this zone.")
    var zone: String?

    @Option(help: "Place on this worker (its id).")
    var worker: String?

    @Option(help: "Placement strategy: spread or binpack.")
    var strategy: PlacementStrategy?

    @OptionGroup var waiting: WaitOptions

    @Option(help: "An Idempotency-Key: retrying with the same key and arguments does not create twice.")
    var idempotencyKey: String?

    func validate() throws {
        _ = try makeRequest()
    }

    func run() async throws {
        let request = try makeRequest()
        let (wait, seconds, key) = (waiting.wait, waiting.seconds(), idempotencyKey)
        try await ActionRunner.run(
            client, expecting: .instance("create", target: "running", waitSeconds: seconds), named: "instance \(spec.name)",
            followUp: "flotilla instance get \(spec.name)"
        ) { api in
            let (instance, accepted) = try await api.createInstance(request, wait: wait, idempotencyKey: key, waitSeconds: seconds)
            return ActionRunner.Reply<Compute.Instance>.instance(instance, action: "create", accepted: accepted, details: true)
        }
    }

    /// The wire request for these arguments; a malformed size or pair is a `ValidationError`.
    func makeRequest() throws -> Compute.CreateRequest {
        do {
            let cpus = try spec.checkedCPUs() ?? 1
            let memoryBytes = try ByteSize.parse(spec.memory ?? "512MiB")
            guard memoryBytes > 0 else { throw InvalidInput("--memory must be larger than 0") }
            let storageBytes = try spec.storage.map(ByteSize.parse)
            for pair in env { _ = try KeyValueParser.parse(pair, what: "environment variable") }
            let labelMap = try KeyValueParser.parseAll(labels)
            let placement = Compute.Placement(zone: zone, workerId: worker, strategy: strategy?.rawValue)
            let networks = try spec.checkedNetworks()
            let disks = try spec.checkedDisks()
            try spec.checkedKVMTexts()
            return Compute.CreateRequest(
                name: spec.name,
                type: spec.type?.rawValue,
                backend: spec.backend,
                config: Compute.Config(
                    image: spec.image,
                    command: spec.command,
                    env: env.isEmpty ? nil : env,
                    volumes: volumes.isEmpty ? nil : volumes,
                    ports: ports.isEmpty ? nil : ports,
                    networks: networks?.map { Compute.NetworkInterface(network: $0.network, address: $0.address?.description) },
                    disks: disks?.map {
                        Compute.Disk(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly ? true : nil)
                    },
                    kernelArguments: spec.kernelArguments, initrdImage: spec.initrdImage, rootImage: spec.rootImage),
                resources: Compute.Resources(
                    cpu: Compute.CPU(cores: cpus),
                    memory: Compute.Memory(limit: memoryBytes),
                    storage: storageBytes.map { Compute.Storage(totalSpace: $0) }),
                metadata: labelMap.isEmpty ? nil : Compute.Metadata(labels: labelMap),
                placement: placement == Compute.Placement() ? nil : placement)
        } catch let error as InvalidInput {
            throw ValidationError(error.message)
        }
    }
}
