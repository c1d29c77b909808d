import FlotillaBackends
import FlotillaCore

/// A ``SimBackend`` with one deliberate fault, to show that the backend contract notices it.
struct FaultyBackend: ComputeBackend {
    enum Fault: String, Sendable, CaseIterable {
        /// `delete` kills a running instance even without `force`.
        case deleteIgnoresForce
        /// `list` forgets stopped instances.
        case listOnlyRunning
        /// `usage` reports half the memory limit.
        case wrongMemoryLimit
        /// `inspect` of an unknown id answers `failed` instead of `notFound`.
        case unknownIsFailure
        /// A graceful stop leaves the instance running.
        case gracefulStopIgnored
    }

    let inner: SimBackend
    let fault: Fault

    var kind: BackendKind { inner.kind }
    var features: BackendFeatures { inner.features }
    func info() async -> BackendInfo { await inner.info() }
    func create(_ request: BackendCreateRequest) async throws { try await inner.create(request) }
    func start(id: String) async throws { try await inner.start(id: id) }

    func stop(id: String, force: Bool, timeout: Duration) async throws {
        if fault == .gracefulStopIgnored && !force { return }
        try await inner.stop(id: id, force: force, timeout: timeout)
    }

    func restart(id: String, hard: Bool, timeout: Duration) async throws {
        try await inner.restart(id: id, hard: hard, timeout: timeout)
    }
    func pause(id: String) async throws { try await inner.pause(id: id) }
    func resume(id: String) async throws { try await inner.resume(id: id) }

    func delete(id: String, force: Bool) async throws {
        try await inner.delete(id: id, force: force || fault == .deleteIgnoresForce)
    }

    func update(id: String, resources: Resources) async throws -> Bool {
        try await inner.update(id: id, resources: resources)
    }

    func inspect(id: String) async throws -> ObservedInstance {
        do {
            return try await inner.inspect(id: id)
        } catch BackendError.notFound(let id) where fault == .unknownIsFailure {
            throw BackendError.failed("no such instance \(id)")
        }
    }

    func usage(id: String) async throws -> InstanceUsage {
        var usage = try await inner.usage(id: id)
        if fault == .wrongMemoryLimit { usage.memoryLimitBytes /= 2 }
        return usage
    }

    func list() async throws -> [ObservedInstance] {
        let all = try await inner.list()
        return fault == .listOnlyRunning ? all.filter { $0.state == .running } : all
    }
}
