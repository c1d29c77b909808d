import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Registers this host as a worker and keeps it alive: a persistent worker record plus a heartbeat key
/// under a lease. When the host stops (or is cut off), the lease expires and every host sees it `offline`.
public final class Membership: Service, Sendable {
    private let store: any ClusterStore
    private let identity: HostIdentity
    private let record: Mutex<Worker>
    private var worker: Worker { record.withLock { $0 } }
    private let heartbeatInterval: Duration
    private let logger: Logger
    /// The lease of the current registration.
    private let lease = Mutex<LeaseID?>(nil)

    /// - Parameter worker: this host's registration; its `adminStatus` is kept from an earlier registration.
    public init(
        store: any ClusterStore, identity: HostIdentity, worker: Worker, heartbeatInterval: Duration = .seconds(5),
        logger: Logger = Logger(label: "flotilla.membership")
    ) {
        self.store = store
        self.identity = identity
        self.record = Mutex(worker)
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
    }

    /// Registers once (used at start-up, before the host serves requests).
    public func register() async throws -> LeaseID {
        let lease = try await store.grantLease(ttl: identity.leaseTTL)
        let key = StoreKeys.worker(worker.id)
        for _ in 0..<16 {
            let existing = try await store.get(key)
            var record = worker
            if let existing, let old = try? StoreCodec.decode(Worker.self, from: existing.value) {
                record.adminStatus = old.adminStatus
            }
            let compare: Compare = existing.map { .unchanged(key, since: $0.modRevision) } ?? .absent(key)
            let beat = Heartbeat(workerId: worker.id, at: identity.now())
            let result = try await store.txn(
                [compare],
                then: [
                    .put(key, try StoreCodec.encode(record)),
                    .put(key: StoreKeys.alive(worker.id), value: try StoreCodec.encode(beat), lease: lease),
                ], otherwise: [])
            if result.succeeded {
                logger.info("worker registered", metadata: ["worker": "\(worker.id)", "lease": "\(lease)"])
                self.lease.withLock { $0 = lease }
                return lease
            }
        }
        throw StoreError.unavailable("could not register worker \(worker.id): too many concurrent changes")
    }

    /// Changes the address other hosts reach this one at (known only once the server bound its port, when
    /// it listens on port 0) and writes it into the registration.
    public func advertise(_ address: String) async throws {
        record.withLock { $0.address = address }
        let key = StoreKeys.worker(worker.id)
        for _ in 0..<16 {
            guard let existing = try await store.get(key), var stored = try? StoreCodec.decode(Worker.self, from: existing.value) else {
                return
            }
            stored.address = address
            let result = try await store.txn(
                [.unchanged(key, since: existing.modRevision)], then: [.put(key, try StoreCodec.encode(stored))], otherwise: [])
            if result.succeeded { return }
        }
        throw StoreError.unavailable("could not update the address of worker \(worker.id)")
    }

    /// Runs until the task is cancelled or, in a `ServiceGroup`, until graceful shutdown.
    public func run() async throws {
        try await runUntilShutdown { try await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async throws {
        var lease = self.lease.withLock { $0 }
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                let current: LeaseID
                if let lease { current = lease } else { current = try await register() }
                lease = current
                try await keepAlive(current)
            } catch is CancellationError {
                break
            } catch StoreError.leaseNotFound {
                logger.warning("worker lease expired; registering again", metadata: ["worker": "\(worker.id)"])
                lease = nil
            } catch {
                if Task.isCancelled { break }
                logger.warning("heartbeat failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, identity.leaseTTL / 3)
                continue
            }
            backoff = .milliseconds(200)
        }
        if let lease {
            // Leaving on purpose: go offline at once instead of waiting for the TTL.
            await revokeAfterCancellation(lease, store: store)
            logger.info("worker left", metadata: ["worker": "\(worker.id)"])
        }
    }

    private func keepAlive(_ lease: LeaseID) async throws {
        let interval = identity.leaseTTL / 3
        var sinceBeat = Duration.zero
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            try await store.keepAlive(lease)
            sinceBeat += interval
            if sinceBeat >= heartbeatInterval {
                sinceBeat = .zero
                let beat = Heartbeat(workerId: worker.id, at: identity.now())
                try await store.put(StoreKeys.alive(worker.id), value: StoreCodec.encode(beat), lease: lease)
            }
        }
        throw CancellationError()
    }
}
