import FlotillaCluster
import FlotillaCore

extension KeyService {
    /// Checks requests against these keys (the HTTP side of ``KeyService``, which lives in FlotillaCluster).
    public var authenticator: Authenticator {
        Authenticator(registry: registry, hasher: hasher, limiter: limiter, usage: usage, clock: clock)
    }
}
