import FlotillaCore
import Foundation

extension SimBackend {
    /// How the simulation behaves: latencies, failures scheduled from the start, randomness and time.
    public struct Configuration: Sendable {
        /// The latency of every operation without an entry in ``latency``.
        public var defaultLatency: Duration
        /// Per-operation latencies. For `stop`, the latency is how long a graceful shutdown takes; a forced
        /// stop is immediate and a graceful one is cut short (the instance killed) at its timeout.
        public var latency: [Operation: Duration]
        /// Failures scheduled from the start: each call of an operation takes the first error of its queue.
        public var failures: [Operation: [BackendError]]
        /// Seeds the usage figures, so two runs with the same seed read the same numbers.
        public var seed: UInt64
        /// The root storage an instance gets when its spec leaves `storageBytes` at 0.
        public var defaultStorageBytes: Int64
        /// The wall clock used for timestamps (`observedAt`, `checkedAt`).
        public var now: @Sendable () -> Date
        /// Where the simulation writes what it holds after every change (``SimStateFile``), so that a test
        /// can read a host's sim instances without asking the host; nil: nowhere.
        public var stateFile: String?

        public init(
            defaultLatency: Duration = .zero, latency: [Operation: Duration] = [:],
            failures: [Operation: [BackendError]] = [:], seed: UInt64 = 0x5113_0001,
            defaultStorageBytes: Int64 = 10 << 30, stateFile: String? = nil, now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.stateFile = stateFile
            self.defaultLatency = defaultLatency
            self.latency = latency
            self.failures = failures
            self.seed = seed
            self.defaultStorageBytes = defaultStorageBytes
            self.now = now
        }

        /// The latency of `operation`.
        public func latency(for operation: Operation) -> Duration {
            max(latency[operation] ?? defaultLatency, .zero)
        }
    }
}
