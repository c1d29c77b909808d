import FlotillaCore
import Foundation
import Logging

/// The built-in simulated compute backend (`sim`): instances live in memory, with the lifecycle rules of a
/// real backend, configurable latency and injectable failures.
///
/// It is the "mock mode" of the platform and the way to simulate many workers in scale tests. It is always
/// shown as `sim` and never pretends to be a real backend. Usage figures are a seeded simulation (see
/// ``Configuration/seed``), so tests that read them are deterministic.
///
/// Rules it enforces, as a real backend would:
/// - `create` makes a stopped (`created`) instance; `start` works from created, stopped or error (a crashed
///   instance can be started again), and is refused while the instance runs or is paused;
/// - `stop` is graceful within its timeout (exit code 0) or forced (exit code 137); stopping an instance
///   that does not run does nothing;
/// - `restart` and `pause` need a running instance, `resume` a paused one;
/// - `delete` without `force` refuses a running or paused instance.
public actor SimBackend: ComputeBackend {
    let configuration: Configuration
    let logger: Logger
    var instances: [String: SimInstance] = [:] {
        didSet { writeStateFile() }
    }
    private var scheduledFailures: [Operation: [BackendError]]
    private(set) var unavailableReason: String?
    /// Those following changes (``followChanges(_:)``), by subscription number.
    private var followers: [Int: @Sendable (String) -> Void] = [:]
    private var nextFollower = 0

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "flotilla.backend.sim")) {
        self.configuration = configuration
        self.logger = logger
        self.scheduledFailures = configuration.failures.filter { !$0.value.isEmpty }
        Self.writeState([:], configuration.stateFile, logger)
    }

    public nonisolated var kind: BackendKind { .sim }

    public nonisolated var features: BackendFeatures { BackendFeatures(pause: true, liveResize: true) }

    public func info() async -> BackendInfo {
        BackendInfo(
            kind: .sim, version: "flotilla-sim-1", apiVersion: "1",
            status: unavailableReason == nil ? .running : .unavailable,
            capabilities: ["containers", "vms", "pause", "live-resize"], supportedKinds: [.vm, .container],
            reason: unavailableReason, checkedAt: configuration.now())
    }

    // MARK: - Fault injection

    /// Makes the next call of `operation` fail with `error` (after its latency). Calls queue up: two calls
    /// make the next two calls fail, in order.
    public func failNext(_ operation: Operation, with error: BackendError) {
        scheduledFailures[operation, default: []].append(error)
    }

    /// Simulates the instance dying behind Flotilla's back (an OOM kill, a guest panic): `inspect` then
    /// reports `error` with the exit code (or `stopped` when `exitCode` is 0).
    public func crash(id: String, exitCode: Int32 = 137) throws {
        var instance = try existing(id)
        guard instance.isRunning else {
            throw BackendError.invalidRequest("instance \(id) is \(instance.state.rawValue); only a running instance can crash")
        }
        instance.exited(code: exitCode, description: "exited with code \(exitCode)", as: exitCode == 0 ? .stopped : .error)
        instances[id] = instance
        logger.debug("sim instance crashed", metadata: ["id": "\(id)", "exitCode": "\(exitCode)"])
        for changed in followers.values { changed(id) }
    }

    /// Calls `changed` for every injected change (a crash) until cancelled: the simulation's event source.
    public func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws {
        let number = nextFollower
        nextFollower += 1
        followers[number] = changed
        defer { followers[number] = nil }
        while !Task.isCancelled {
            if let reason = unavailableReason { throw BackendError.unavailable(reason) }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CancellationError()
    }

    /// Makes the whole backend unavailable (every call throws ``BackendError/unavailable(_:)`` and `info`
    /// says why), or available again with nil.
    public func setUnavailable(_ reason: String?) {
        unavailableReason = reason
    }

    // MARK: - ComputeBackend

    public func create(_ request: BackendCreateRequest) async throws {
        try await begin(.create)
        guard instances[request.id] == nil else {
            throw BackendError.invalidRequest("instance \(request.id) already exists")
        }
        if let other = instances.values.first(where: { $0.name == request.name }) {
            throw BackendError.invalidRequest("the name \(request.name) is already used by instance \(other.id)")
        }
        try Self.validate(request.spec.resources)
        let storage =
            request.spec.resources.storageBytes > 0 ? request.spec.resources.storageBytes : configuration.defaultStorageBytes
        var random = SimRandom(seed: configuration.seed, id: request.id)
        let meter = SimUsageMeter(storageTotalBytes: storage, random: &random)
        instances[request.id] = SimInstance(
            id: request.id, name: request.name, kind: request.kind, resources: request.spec.resources,
            storageTotalBytes: storage, state: .created, meter: meter, random: random)
        instances[request.id]?.record("\(request.name): created")
        logger.debug("sim instance created", metadata: ["id": "\(request.id)", "name": "\(request.name)"])
    }

    public func start(id: String) async throws {
        try await begin(.start)
        var instance = try existing(id)
        switch instance.state {
        case .running:
            throw BackendError.invalidRequest("instance \(id) is already running")
        case .paused:
            throw BackendError.invalidRequest("instance \(id) is paused; resume it instead")
        case .created, .stopped, .error:
            instance.state = .running
            instance.exitCode = nil
            instance.description = nil
            instance.meter.started(random: &instance.random)
        }
        instances[id] = instance
        logger.debug("sim instance started", metadata: ["id": "\(id)"])
    }

    public func stop(id: String, force: Bool, timeout: Duration) async throws {
        let shutdown = configuration.latency(for: .stop)
        let timeout = max(timeout, .zero)
        // A graceful shutdown that does not finish within the timeout ends with a kill, as in a real backend.
        let killed = force || timeout < shutdown
        try await begin(.stop, latency: force ? .zero : min(shutdown, timeout))
        var instance = try existing(id)
        guard instance.isRunning else { return }  // Nothing runs: nothing to stop.
        if killed {
            instance.exited(
                code: 137, description: force ? "killed (exit code 137)" : "killed after the stop timeout (exit code 137)",
                as: .stopped)
        } else {
            instance.exited(code: 0, description: "exited with code 0", as: .stopped)
        }
        instances[id] = instance
        logger.debug("sim instance stopped", metadata: ["id": "\(id)", "force": "\(force)", "killed": "\(killed)"])
    }

    public func restart(id: String, hard: Bool, timeout: Duration) async throws {
        try await begin(.restart)
        var instance = try existing(id)
        switch instance.state {
        case .running: break
        case .paused: throw BackendError.invalidRequest("instance \(id) is paused; resume it before restarting")
        case .created, .stopped, .error:
            throw BackendError.invalidRequest("instance \(id) is \(instance.state.rawValue); start it instead")
        }
        instance.exitCode = nil
        instance.description = nil
        instance.meter.stopped()
        instance.meter.started(random: &instance.random)
        instances[id] = instance
        logger.debug("sim instance restarted", metadata: ["id": "\(id)", "hard": "\(hard)"])
    }

    public func pause(id: String) async throws {
        try await begin(.pause)
        var instance = try existing(id)
        switch instance.state {
        case .running: instance.state = .paused
        case .paused: throw BackendError.invalidRequest("instance \(id) is already paused")
        case .created, .stopped, .error:
            throw BackendError.invalidRequest("instance \(id) is \(instance.state.rawValue); only a running instance can be paused")
        }
        instances[id] = instance
    }

    public func resume(id: String) async throws {
        try await begin(.resume)
        var instance = try existing(id)
        guard instance.state == .paused else {
            throw BackendError.invalidRequest("instance \(id) is \(instance.state.rawValue), not paused")
        }
        instance.state = .running
        instances[id] = instance
    }

    public func delete(id: String, force: Bool) async throws {
        try await begin(.delete)
        let instance = try existing(id)
        if instance.isRunning && !force {
            throw BackendError.invalidRequest("instance \(id) is running; stop it first or delete with force")
        }
        instances[id] = nil
        logger.debug("sim instance deleted", metadata: ["id": "\(id)", "force": "\(force)"])
    }

    public func update(id: String, resources: Resources) async throws -> Bool {
        try await begin(.update)
        var instance = try existing(id)
        try Self.validate(resources)
        instance.resources = resources
        if resources.storageBytes > 0 {
            instance.storageTotalBytes = resources.storageBytes
            instance.meter.resized(storageTotalBytes: resources.storageBytes)
        }
        instances[id] = instance
        // Resizing is live: a running (or paused) instance gets the new resources at once.
        return instance.isRunning
    }

    public func inspect(id: String) async throws -> ObservedInstance {
        try await begin(.inspect)
        return try existing(id).observed
    }

    public func list() async throws -> [ObservedInstance] {
        try await begin(.list)
        return instances.values.map(\.observed).sorted { $0.id < $1.id }
    }

    // MARK: - Helpers

    /// Every call starts here: the backend must be available, a scheduled failure is taken (so that exactly
    /// the next call fails), then the latency passes (cancellable), then the scheduled failure is thrown.
    func begin(_ operation: Operation, latency: Duration? = nil) async throws {
        if let reason = unavailableReason { throw BackendError.unavailable(reason) }
        let failure = takeScheduledFailure(operation)
        let delay = latency ?? configuration.latency(for: operation)
        if delay > .zero { try await Task.sleep(for: delay) }
        if let failure { throw failure }
    }

    private func takeScheduledFailure(_ operation: Operation) -> BackendError? {
        guard var queue = scheduledFailures[operation], !queue.isEmpty else { return nil }
        let failure = queue.removeFirst()
        scheduledFailures[operation] = queue.isEmpty ? nil : queue
        return failure
    }

    func existing(_ id: String) throws(BackendError) -> SimInstance {
        guard let instance = instances[id] else { throw BackendError.notFound(id) }
        return instance
    }

    var now: Date { configuration.now() }

    private static func validate(_ resources: Resources) throws(BackendError) {
        guard resources.cpuCores > 0, resources.cpuCores.isFinite else {
            throw BackendError.invalidRequest("cpu cores must be greater than 0, got \(resources.cpuCores)")
        }
        guard resources.memoryBytes > 0 else {
            throw BackendError.invalidRequest("memory must be greater than 0 bytes, got \(resources.memoryBytes)")
        }
        guard resources.storageBytes >= 0 else {
            throw BackendError.invalidRequest("storage must not be negative, got \(resources.storageBytes)")
        }
    }
}
