import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Writes the key uses ``KeyUsage`` noted to the keys' records (`lastUsedAt`, ADR 0019), off the request path:
/// once a second, each as one compare-and-swap update of the key's record, each with a deadline. A failed write
/// is dropped (the next use notes the key again), never retried in a loop, never seen by a request; the first
/// failure is logged at warning, the next ones at debug until a write succeeds again. On graceful shutdown the
/// notes left are written once more. It also drops the rate-limit buckets and notes of deleted keys.
public struct KeyUsageRecorder: Service {
    let store: any ClusterStore
    let registry: RegistryCache
    let usage: KeyUsage
    let limiter: KeyRateLimiter
    let logger: Logger
    /// How often notes are written.
    let period: Duration

    public init(
        store: any ClusterStore, registry: RegistryCache, usage: KeyUsage, limiter: KeyRateLimiter, period: Duration = .seconds(1),
        logger: Logger
    ) {
        self.store = store
        self.registry = registry
        self.usage = usage
        self.limiter = limiter
        self.period = period
        self.logger = logger
    }

    /// The deadline of one write.
    static let writeDeadline: Duration = .seconds(5)

    public func run() async throws {
        let failing = FailureLog(logger: logger)
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: period)
                    await flush(failing)
                }
            }
        } catch is CancellationError {}
        // Graceful shutdown (or cancellation): write what is left, once, within the deadline of each write.
        await flush(failing)
    }

    /// Writes every pending use and forgets the buckets and notes of deleted keys.
    func flush(_ failing: FailureLog) async {
        let ids = registry.read { Set($0.apiKeys.values.map(\.id)) }
        limiter.retain(ids)
        usage.retain(ids)
        for (hash, usedAt) in usage.drain() {
            do {
                try await withDeadline(Self.writeDeadline) { [store] in try await Self.write(usedAt, hash: hash, store: store) }
                failing.succeeded()
            } catch {
                failing.failed(error)
            }
        }
    }

    /// Sets the key's `lastUsedAt` to `usedAt` unless it is already as late (another host wrote it); a deleted key
    /// is left alone.
    static func write(_ usedAt: Date, hash: String, store: any ClusterStore) async throws {
        _ = try await store.update(StoreKeys.apiKey(hash: hash), attempts: 4) { kv in
            guard let kv, var record = try? StoreCodec.decode(APIKeyRecord.self, from: kv.value) else { return nil }
            if let last = record.lastUsedAt, last >= usedAt { return nil }
            record.lastUsedAt = usedAt
            return StoreChange(ops: [.put(kv.key, try StoreCodec.encode(record))])
        }
    }

    /// Logs the first failure of a run of failures at warning, the rest at debug.
    final class FailureLog: Sendable {
        let logger: Logger
        private let quiet = Mutex(false)
        init(logger: Logger) { self.logger = logger }

        func failed(_ error: any Error) {
            let first = quiet.withLock { quiet in
                defer { quiet = true }
                return !quiet
            }
            let metadata: Logger.Metadata = ["error": "\(error)"]
            if first {
                logger.warning("could not record a key's last use; further failures are logged at debug", metadata: metadata)
            } else {
                logger.debug("could not record a key's last use", metadata: metadata)
            }
        }

        func succeeded() { quiet.withLock { $0 = false } }
    }
}
