import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Which of this host's backends are up: each backend's `info()` is asked every `interval` (with a deadline),
/// and the agent reports a backend it found unreachable at once. The heartbeat carries the down ones so the
/// scheduler places nothing on them; `/health` and `/api/v1/health` read the same; the agent waits for a
/// backend to come back instead of failing every instance on it, then reconciles them all. When each came back is
/// kept, for the reason of an exit seen just after an outage (``availability(_:)``).
public final class BackendHealth: Service, Sendable {
    private let backends: BackendSet
    private let interval: Duration
    private let deadline: Duration
    private let logger: Logger
    private let clock: WallClock
    private let down = Mutex<[BackendKind: String]>([:])
    /// When each backend that was found down came back (set under the lock of ``down``'s changes).
    private let recovered = Mutex<[BackendKind: Date]>([:])
    /// Deadlines missed in a row per backend: a loaded machine may miss one; only a run of them means down.
    private let misses = Mutex<[BackendKind: Int]>([:])
    /// How many deadlines in a row make a backend down (a backend that answers "unavailable" is down at once).
    static let missesForDown = 3
    private let changes = Broadcaster<[BackendKind: String]>()

    public init(
        backends: BackendSet, interval: Duration = .seconds(1), deadline: Duration = .seconds(5),
        logger: Logger = Logger(label: "flotilla.backend-health"), clock: WallClock = .system
    ) {
        self.backends = backends
        self.interval = interval
        self.deadline = deadline
        self.logger = logger
        self.clock = clock
    }

    /// The backends down right now, with the reason.
    public var unavailable: [BackendKind: String] { down.withLock { $0 } }

    /// Why `kind` is down, or nil when it is up.
    public func reason(_ kind: BackendKind) -> String? { down.withLock { $0[kind] } }

    /// What is known of `kind` for the reason of an exit or error seen now: down, up again since when, or up.
    public func availability(_ kind: BackendKind) -> BackendAvailability {
        down.withLock { map -> BackendAvailability in
            if let reason = map[kind] { return .unavailable(reason) }
            return recovered.withLock { $0[kind] }.map { .recovered(at: $0) } ?? .available
        }
    }

    /// Every change of ``unavailable`` after this call.
    public func updates() -> AsyncStream<[BackendKind: String]> { changes.subscribe() }

    /// Records what a check (or a failed call) found about `kind`: nil when it is up.
    public func set(_ kind: BackendKind, unavailable reason: String?) {
        let at = clock.now
        let (changed, current) = down.withLock { map -> (Bool, [BackendKind: String]) in
            let was = map[kind]
            map[kind] = reason
            if was != nil && reason == nil { recovered.withLock { $0[kind] = at } }
            return ((was == nil) != (reason == nil), map)
        }
        guard changed else { return }
        if let reason {
            logger.warning("backend unavailable", metadata: ["backend": "\(kind)", "reason": "\(reason)"])
        } else {
            logger.info("backend available again", metadata: ["backend": "\(kind)"])
        }
        changes.yield(current)
    }

    /// Asks every backend once.
    public func checkAll() async {
        await withDiscardingTaskGroup { group in
            for kind in backends.kinds {
                guard let backend = backends[kind] else { continue }
                group.addTask { await self.check(kind, backend) }
            }
        }
    }

    /// Asks `kind` once, now (the agent does before it records an exit while `kind` is taken to be up).
    public func check(_ kind: BackendKind) async {
        guard let backend = backends[kind] else { return }
        await check(kind, backend)
    }

    private func check(_ kind: BackendKind, _ backend: any ComputeBackend) async {
        do {
            let info = try await withDeadline(deadline) { await backend.info() }
            misses.withLock { $0[kind] = nil }
            set(kind, unavailable: info.status == .running ? nil : (info.reason ?? "unavailable"))
        } catch is CancellationError {
            return
        } catch {
            let count = misses.withLock { m in
                m[kind, default: 0] += 1
                return m[kind, default: 0]
            }
            if count >= Self.missesForDown {
                set(kind, unavailable: "did not answer \(count) checks in a row within \(deadline) each")
            }
        }
    }

    public func run() async throws {
        try await runUntilShutdown {
            while !Task.isCancelled {
                await self.checkAll()
                try await Task.sleep(for: self.interval)
            }
        }
        changes.finish()
    }
}
