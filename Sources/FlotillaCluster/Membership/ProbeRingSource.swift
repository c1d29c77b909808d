import FlotillaCore
import Synchronization

/// The ring of the workers that take part in peer probes (a heartbeat with a probe address), from a registry, and
/// where each answers: computed again at most every `refresh`, shared by every prober on the same registry (the
/// fleet simulator runs thousands on one).
public final class ProbeRingSource: Sendable {
    public struct Ring: Sendable {
        public let ring: ProbeRing
        public let addresses: [String: String]
    }

    private let registry: RegistryCache
    private let refresh: Duration
    private let cached = Mutex<(at: ContinuousClock.Instant, value: Ring)?>(nil)

    public init(registry: RegistryCache, refresh: Duration = .seconds(1)) {
        self.registry = registry
        self.refresh = refresh
    }

    public func current() -> Ring {
        let now = ContinuousClock.now
        return cached.withLock { cached in
            if let cached, cached.at.duration(to: now) < refresh { return cached.value }
            let addresses = registry.read { state in
                var addresses: [String: String] = [:]
                for (id, beat) in state.heartbeats {
                    if let address = beat.value.probeAddress { addresses[id] = address }
                }
                return addresses
            }
            let value = Ring(ring: ProbeRing(addresses.keys), addresses: addresses)
            cached = (now, value)
            return value
        }
    }
}
