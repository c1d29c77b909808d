import AsyncHTTPClient
import FlotillaCore
import Foundation
import Logging
import NIOHTTP1
import Synchronization

/// The `docker` compute backend: real containers through the Docker Engine HTTP API on its unix socket.
///
/// - Each instance is one container named `flotilla-<instance id>`, labelled `io.flotilla.instance=<id>`
///   (ownership) and `io.flotilla.name=<name>`, plus the user's labels. Containers without the ownership
///   label are never touched: an operation first checks the label of the container it addresses.
/// - `list` returns every container with the ownership label, in any state, for adoption after a restart.
/// - A daemon that does not answer makes every call throw ``BackendError/unavailable(_:)``; nothing has to
///   be reset when it comes back. `info()` (the health check) first opens a new connection to the socket: a
///   daemon shutting down still answers on open connections while it stops its containers, but refuses new ones.
/// - Exit codes map as described in ``DockerObservation``.
/// - Changes made behind Flotilla's back are reported by ``followChanges(_:)`` from the daemon's event stream.
/// - An instance on Flotilla networks (`config.networks`) joins their docker networks (``DockerNetworks``) with the
///   addresses allocated for it; `inspect` logs (once per difference) when docker shows it elsewhere.
public final class DockerBackend: ComputeBackend {
    /// How the backend reaches the daemon.
    public struct Configuration: Sendable {
        /// The daemon's unix socket.
        public var socketPath: String
        /// Deadline of each ordinary Engine API call.
        public var requestTimeout: Duration
        /// Deadline of an image pull when `create` finds the image missing.
        public var pullTimeout: Duration
        /// Largest answer body read from the daemon.
        public var bodyLimit: Int
        /// Longest line of the event stream kept; a longer one is skipped.
        public var eventLineLimit: Int
        /// An event stream with nothing for this long is reopened from its cursor (nil: never).
        public var eventIdleTimeout: Duration?

        public init(
            socketPath: String = "/var/run/docker.sock", requestTimeout: Duration = .seconds(30),
            pullTimeout: Duration = .seconds(20), bodyLimit: Int = 8 << 20, eventLineLimit: Int = 1 << 20,
            eventIdleTimeout: Duration? = .seconds(300)
        ) {
            self.socketPath = socketPath
            self.requestTimeout = requestTimeout
            self.pullTimeout = pullTimeout
            self.bodyLimit = bodyLimit
            self.eventLineLimit = eventLineLimit
            self.eventIdleTimeout = eventIdleTimeout
        }
    }

    public let configuration: Configuration
    let engine: DockerEngineClient
    /// The event stream, with its cursor kept across calls of ``followChanges(_:)``.
    private let events: DockerEventFollower
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// A process-wide client like AsyncHTTPClient's shared one, without its own spans: the backend's calls are traced
    /// by the host's span of each call, under the head sampler (ADR 0022), not as stray traces of their own.
    public static let untracedClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .untraced())

    /// Instance id -> container id, for containers already checked to carry the ownership label.
    private let handles = Mutex<[String: String]>([:])
    /// The docker networks of Flotilla networks.
    private let networks: DockerNetworks
    /// Instance id -> the address differences last logged for it (each logged once).
    private let reportedMismatches = Mutex<[String: String]>([:])

    /// - Parameter http: the client to use; by default ``untracedClient``, process-wide, which needs no shutdown.
    public init(
        configuration: Configuration = Configuration(), http: HTTPClient = DockerBackend.untracedClient,
        logger: Logger = Logger(label: "flotilla.backend.docker"), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        let engine = DockerEngineClient(
            socketPath: configuration.socketPath, requestTimeout: configuration.requestTimeout,
            bodyLimit: configuration.bodyLimit, http: http)
        self.engine = engine
        self.networks = DockerNetworks(engine: engine, logger: logger)
        self.events = DockerEventFollower(
            engine: engine, connectTimeout: configuration.requestTimeout, idleTimeout: configuration.eventIdleTimeout,
            lineLimit: configuration.eventLineLimit, logger: logger, now: now)
        self.logger = logger
        self.now = now
    }

    public var kind: BackendKind { .docker }

    public var features: BackendFeatures { BackendFeatures(pause: true, liveResize: true) }

    /// True when the daemon answers `GET /_ping` within `timeout`.
    public func ping(timeout: Duration = .seconds(1)) async -> Bool {
        await engine.ping(timeout: timeout)
    }

    public func info() async -> BackendInfo {
        let capabilities = ["containers", "pause", "live-resize"]
        do {
            try await engine.checkAccepting()
            let version = try await engine.version()
            return BackendInfo(
                kind: .docker, version: version.Version, apiVersion: version.ApiVersion, status: .running,
                capabilities: capabilities, supportedKinds: [.container], checkedAt: now())
        } catch {
            return BackendInfo(
                kind: .docker, version: "unknown", apiVersion: "unknown", status: .unavailable,
                capabilities: capabilities, supportedKinds: [.container], reason: "\(error)", checkedAt: now())
        }
    }

    // MARK: - Lifecycle

    public func create(_ request: BackendCreateRequest) async throws {
        let body = try DockerContainerSpec.body(request)
        let attachments = try DockerNetworkSpec.attachments(request)
        for attachment in attachments { try await networks.ensure(attachment.network) }
        let name = DockerContainerSpec.containerName(request.id)
        var response = try await engine.send(.POST, "/containers/create", query: [("name", name)], json: body)
        if response.status == 404, response.message.lowercased().contains("no such image") {
            try await pull(request.spec.config.image, after: response.message)
            response = try await engine.send(.POST, "/containers/create", query: [("name", name)], json: body)
        }
        switch response.status {
        case 201:
            let created = try response.decode(DockerWire.Created.self)
            handles.withLock { $0[request.id] = created.Id }
            try await connect(created.Id, to: attachments.dropFirst(), id: request.id)
            logger.debug("docker container created", metadata: ["id": "\(request.id)", "container": "\(created.Id)"])
        case 409:
            throw BackendError.invalidRequest("instance \(request.id) already exists in docker (\(response.message))")
        case 404 where !attachments.isEmpty && response.message.lowercased().contains("network"):
            throw BackendError.failed("docker could not attach instance \(request.id) to its network: \(response.message)")
        case 404:
            throw BackendError.failed(
                "image \(request.spec.config.image) is not present on the docker daemon: \(response.message)")
        case 400:
            throw BackendError.invalidRequest("docker refused the container: \(response.message)")
        default:
            throw Self.failure(response, "create", id: request.id)
        }
    }

    public func start(id: String) async throws {
        let response = try await call(.POST, id, "/start")
        switch response.status {
        case 204: return
        case 304:
            let state = try await inspect(id: id).state
            throw BackendError.invalidRequest(
                state == .paused ? "instance \(id) is paused; resume it instead" : "instance \(id) is already running")
        default: throw Self.failure(response, "start", id: id)
        }
    }

    public func stop(id: String, force: Bool, timeout: Duration) async throws {
        if force {
            try await kill(id)
            return
        }
        let seconds = Self.wholeSeconds(timeout)
        let response = try await call(
            .POST, id, "/stop", query: [("t", "\(seconds)")], timeout: configuration.requestTimeout + .seconds(seconds))
        switch response.status {
        case 204, 304: return  // 304: it was not running; nothing to stop.
        default: throw Self.failure(response, "stop", id: id)
        }
    }

    public func restart(id: String, hard: Bool, timeout: Duration) async throws {
        switch try await inspect(id: id).state {
        case .running: break
        case .paused: throw BackendError.invalidRequest("instance \(id) is paused; resume it before restarting")
        case let other: throw BackendError.invalidRequest("instance \(id) is \(other.rawValue); start it instead")
        }
        if hard {
            try await kill(id)
            try await start(id: id)
            return
        }
        let seconds = Self.wholeSeconds(timeout)
        let response = try await call(
            .POST, id, "/restart", query: [("t", "\(seconds)")], timeout: configuration.requestTimeout + .seconds(seconds))
        guard response.status == 204 else { throw Self.failure(response, "restart", id: id) }
    }

    public func pause(id: String) async throws {
        let response = try await call(.POST, id, "/pause")
        guard response.status == 204 else { throw Self.failure(response, "pause", id: id) }
    }

    public func resume(id: String) async throws {
        let response = try await call(.POST, id, "/unpause")
        guard response.status == 204 else { throw Self.failure(response, "resume", id: id) }
    }

    public func delete(id: String, force: Bool) async throws {
        let response = try await call(.DELETE, id, "", query: [("force", force ? "true" : "false"), ("v", "true")])
        switch response.status {
        case 204:
            handles.withLock { $0[id] = nil }
            reportedMismatches.withLock { $0[id] = nil }
        case 409:
            throw BackendError.invalidRequest("instance \(id) is running; stop it first or delete with force (\(response.message))")
        default:
            throw Self.failure(response, "delete", id: id)
        }
    }

    /// Applied live with `POST /containers/{id}/update`; a stopped container keeps them for its next start.
    public func update(id: String, resources: Resources) async throws -> Bool {
        try DockerContainerSpec.validate(resources)
        let body = DockerWire.Update(
            NanoCpus: DockerContainerSpec.nanoCPUs(resources.cpuCores), Memory: resources.memoryBytes,
            MemorySwap: resources.memoryBytes)
        let response = try await call(.POST, id, "/update", json: body)
        guard response.status == 200 else { throw Self.failure(response, "update", id: id) }
        let state = try await inspect(id: id).state
        return state == .running || state == .paused
    }

    public func inspect(id: String) async throws -> ObservedInstance {
        let container = try await inspectContainer(id)
        let observed = DockerObservation.observed(id: id, state: container.State)
        if observed.state == .running { noteAddressMismatches(id: id, container) }
        return observed
    }

    public func usage(id: String) async throws -> InstanceUsage {
        let details = try await usageDetails(id: id)
        var usage = details.usage
        usage.blockReadBytes = details.blockReadBytes
        usage.blockWrittenBytes = details.blockWrittenBytes
        return usage
    }

    /// Usage plus the block I/O figures of the same stats read (the port's usage has no field for them).
    public func usageDetails(id: String) async throws -> DockerUsage {
        let container = try await inspectContainer(id, size: true)
        var stats: DockerWire.Stats?
        if container.State.Status == "running" || container.State.Status == "paused" {
            let response = try await call(.GET, id, "/stats", query: [("stream", "false")])
            guard response.status == 200 else { throw Self.failure(response, "usage", id: id) }
            stats = try response.decode(DockerWire.Stats.self)
        }
        let io = DockerObservation.blockIO(stats)
        return DockerUsage(
            usage: DockerObservation.usage(stats: stats, inspect: container, observedAt: now()),
            blockReadBytes: io.read, blockWrittenBytes: io.written)
    }

    public func list() async throws -> [ObservedInstance] {
        let filters = #"{"label":["\#(DockerContainerSpec.ownershipLabel)"]}"#
        let response = try await engine.send(.GET, "/containers/json", query: [("all", "true"), ("filters", filters)])
        guard response.status == 200 else { throw Self.failure(response, "list", id: "") }
        var observed: [ObservedInstance] = []
        for summary in try response.decode([DockerWire.ContainerSummary].self) {
            guard let id = summary.Labels?[DockerContainerSpec.ownershipLabel], !id.isEmpty else { continue }
            handles.withLock { $0[id] = summary.Id }
            // Inspect each one for its exit code; one removed meanwhile is simply not listed.
            if let one = try? await inspect(id: id) { observed.append(one) }
        }
        return observed.sorted { $0.id < $1.id }
    }

    /// Follows the daemon's event stream (`GET /events`) for Flotilla's containers: `changed` gets the instance
    /// id after each create, start, restart, die, kill, stop, pause, unpause, destroy, oom or rename. Resumes
    /// from the last event seen when called again (see ``DockerEventFollower``); throws
    /// ``BackendError/unavailable(_:)`` when the daemon is gone or ends the stream.
    public func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws {
        try await events.follow(changed)
    }

    /// The container's stdout and stderr (ADR 0024; see ``DockerLogsReader``).
    public func logs(
        id: String, tail: Int, follow: Bool, write: ([UInt8]) async throws -> Void
    ) async throws {
        let container = try await inspectContainer(id)
        try await DockerLogsReader(engine: engine, connectTimeout: configuration.requestTimeout).read(
            container: container.Id, instance: id, tty: container.Config?.Tty ?? false, tail: tail, follow: follow,
            write: write)
    }

    /// Bytes of log the console answer keeps (its end).
    static let consoleLimit = 4 << 20

    /// The container has no serial console: its console is the tail of its log.
    public func console(id: String, lines: Int) async throws -> String {
        var kept: [UInt8] = []
        try await logs(id: id, tail: lines, follow: false) { bytes in
            kept += bytes
            if kept.count > Self.consoleLimit { kept.removeFirst(kept.count - Self.consoleLimit) }
        }
        return String(decoding: kept, as: UTF8.self)
    }

    // MARK: - Helpers

    /// Inspects the container of instance `id`, checking that it carries the ownership label for that id.
    private func inspectContainer(_ id: String, size: Bool = false) async throws -> DockerWire.ContainerInspect {
        let query = size ? [("size", "true")] : []
        let cached = handles.withLock { $0[id] }
        var response = try await engine.send(
            .GET, "/containers/\(DockerEngineClient.encode(cached ?? DockerContainerSpec.containerName(id)))/json", query: query)
        if response.status == 404, cached != nil {
            // The cached container is gone; a container of that name may have replaced it.
            handles.withLock { $0[id] = nil }
            response = try await engine.send(
                .GET, "/containers/\(DockerContainerSpec.containerName(id))/json", query: query)
        }
        guard response.status == 200 else {
            if response.status == 404 { throw BackendError.notFound(id) }
            throw Self.failure(response, "inspect", id: id)
        }
        let container = try response.decode(DockerWire.ContainerInspect.self)
        guard container.Config?.Labels?[DockerContainerSpec.ownershipLabel] == id else {
            // Same name, but not Flotilla's: never touched.
            throw BackendError.notFound(id)
        }
        handles.withLock { $0[id] = container.Id }
        return container
    }

    /// The id of the container of instance `id`, once known to be Flotilla's.
    private func handle(_ id: String) async throws -> String {
        if let known = handles.withLock({ $0[id] }) { return known }
        return try await inspectContainer(id).Id
    }

    /// One call on the container of instance `id`; a 404 on a cached handle is retried once by name.
    private func call(
        _ method: HTTPMethod, _ id: String, _ suffix: String, query: [(String, String)] = [],
        json: (any Encodable & Sendable)? = nil, timeout: Duration? = nil
    ) async throws -> DockerEngineClient.Response {
        for attempt in 0..<2 {
            let container = try await handle(id)
            let response = try await engine.send(
                method, "/containers/\(container)\(suffix)", query: query, json: json, timeout: timeout)
            if response.status == 404, attempt == 0 {
                handles.withLock { $0[id] = nil }
                continue
            }
            return response
        }
        throw BackendError.notFound(id)
    }

    /// Connects a created container to the rest of its networks; on a failure removes it (a container without its
    /// networks must not start) and throws.
    private func connect(_ container: String, to rest: ArraySlice<DockerNetworkSpec.Attachment>, id: String) async throws {
        do {
            for attachment in rest { try await networks.connect(container: container, attachment) }
        } catch {
            _ = try? await engine.send(.DELETE, "/containers/\(container)", query: [("force", "true"), ("v", "true")])
            handles.withLock { $0[id] = nil }
            throw error
        }
    }

    /// Logs, once per difference, that a running container is not where Flotilla put it on its networks (someone
    /// disconnected or reconnected it behind Flotilla's back). Its state is left as docker reports it: the instance
    /// still runs, and its record keeps the addresses Flotilla allocated.
    private func noteAddressMismatches(id: String, _ container: DockerWire.ContainerInspect) {
        let expected = DockerNetworkSpec.allocatedAddresses(label: container.Config?.Labels?[DockerNetworkSpec.addressesLabel])
        guard !expected.isEmpty else { return }
        let found = DockerNetworkSpec.mismatches(expected: expected, attached: container.NetworkSettings?.Networks ?? [:])
            .joined(separator: "; ")
        let isNew = reportedMismatches.withLock { reported in
            defer { reported[id] = found.isEmpty ? nil : found }
            return !found.isEmpty && reported[id] != found
        }
        if isNew {
            logger.warning(
                "docker container is not on the addresses Flotilla allocated", metadata: ["id": "\(id)", "difference": "\(found)"])
        }
    }

    private func kill(_ id: String) async throws {
        let response = try await call(.POST, id, "/kill")
        switch response.status {
        case 204: return
        case 409: return  // Not running: nothing to kill.
        default: throw Self.failure(response, "kill", id: id)
        }
    }

    /// Tries to pull a missing image; throws the clear error when that fails.
    private func pull(_ image: String, after message: String) async throws {
        let reference = DockerContainerSpec.pullReference(image)
        var query = [("fromImage", reference.fromImage)]
        if let tag = reference.tag { query.append(("tag", tag)) }
        logger.debug("pulling a missing docker image", metadata: ["image": "\(image)"])
        let reason: String
        do {
            let (status, error) = try await engine.streamError(
                .POST, "/images/create", query: query, timeout: configuration.pullTimeout)
            if status == 200, error == nil { return }
            reason = error ?? "the pull answered \(status)"
        } catch BackendError.unavailable(let why) {
            reason = "the pull did not finish: \(why)"
        }
        throw BackendError.failed(
            "image \(image) is not present on the docker daemon and could not be pulled: \(reason)")
    }

    static func failure(_ response: DockerEngineClient.Response, _ operation: String, id: String) -> BackendError {
        switch response.status {
        case 404: return .notFound(id)
        case 304, 400, 409: return .invalidRequest("docker refused to \(operation) instance \(id): \(response.message)")
        default: return .failed("docker could not \(operation) instance \(id) (\(response.status)): \(response.message)")
        }
    }

    /// Docker takes whole seconds; a partial second is rounded up so that the timeout is never shorter.
    static func wholeSeconds(_ duration: Duration) -> Int64 {
        let (seconds, atto) = duration.components
        guard seconds >= 0 else { return 0 }
        return seconds + (atto > 0 ? 1 : 0)
    }
}

/// Usage of one docker container, with its block I/O.
public struct DockerUsage: Sendable, Equatable {
    public var usage: InstanceUsage
    public var blockReadBytes: Int64
    public var blockWrittenBytes: Int64
}
