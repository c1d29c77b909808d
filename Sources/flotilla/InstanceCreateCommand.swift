import ArgumentParser
import FlotillaAPI
import FlotillaClient

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
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance name (unique in the cluster).")
    var name: String

    @Option(help: "Backend: sim, docker or kvm.")
    var backend: String

    @Option(help: "vm or container (derived from the backend when left out).")
    var type: InstanceType?

    @Option(help: "The image to run.")
    var image: String

    @Option(help: "CPU cores.")
    var cpus: Double = 1

    @Option(help: "Memory, e.g. 512MiB, 1GiB, 2G or bytes.")
    var memory: String = "512MiB"

    @Option(help: "Storage, e.g. 10GiB.")
    var storage: String?

    @Option(name: .customLong("env"), help: "An environment variable KEY=VALUE (repeatable).")
    var env: [String] = []

    @Option(name: .customLong("port"), help: "A port mapping HOST:CONTAINER, e.g. 8080:80 (repeatable).")
    var ports: [String] = []

    @Option(name: .customLong("volume"), help: "A volume HOST_PATH:PATH, e.g. /data:/data (repeatable).")
    var volumes: [String] = []

    @Option(
        name: .customLong("command"), parsing: .unconditionalSingleValue,
        help: "One argument of the command to run (repeatable, in order).")
    var commandArguments: [String] = []

    @Argument(parsing: .postTerminator, help: "The command to run, after `--`.")
    var trailingCommand: [String] = []

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
            client, expecting: .instance("create", target: "running", waitSeconds: seconds), named: "instance \(name)",
            followUp: "flotilla instance get \(name)"
        ) { api in
            let (instance, accepted) = try await api.createInstance(request, wait: wait, idempotencyKey: key, waitSeconds: seconds)
            return ActionRunner.Reply<Compute.Instance>.instance(instance, action: "create", accepted: accepted, details: true)
        }
    }

    /// The wire request for these arguments; a malformed size or pair is a `ValidationError`.
    func makeRequest() throws -> Compute.CreateRequest {
        do {
            guard cpus > 0, cpus.isFinite else { throw InvalidInput("--cpus must be a positive number") }
            let memoryBytes = try ByteSize.parse(memory)
            guard memoryBytes > 0 else { throw InvalidInput("--memory must be larger than 0") }
            let storageBytes = try storage.map(ByteSize.parse)
            for pair in env { _ = try KeyValueParser.parse(pair, what: "environment variable") }
            let labelMap = try KeyValueParser.parseAll(labels)
            let command = commandArguments + trailingCommand
            let placement = Compute.Placement(zone: zone, workerId: worker, strategy: strategy?.rawValue)
            return Compute.CreateRequest(
                name: name,
                type: type?.rawValue,
                backend: backend,
                config: Compute.Config(
                    image: image,
                    command: command.isEmpty ? nil : command,
                    env: env.isEmpty ? nil : env,
                    volumes: volumes.isEmpty ? nil : volumes,
                    ports: ports.isEmpty ? nil : ports),
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
