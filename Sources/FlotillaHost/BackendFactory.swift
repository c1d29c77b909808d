import FlotillaBackends
import FlotillaCore
import Logging

/// Makes the backends a host runs: what the configuration names, else every backend found working plus
/// `sim`. Only `sim` exists so far; naming another one is a clear configuration error.
enum BackendFactory {
    static func make(_ configuration: HostConfiguration, logger: Logger) throws -> [any ComputeBackend] {
        let wanted = configuration.backends ?? [.sim]
        return try wanted.map { kind -> any ComputeBackend in
            switch kind {
            case .sim:
                return SimBackend(configuration: .init(defaultLatency: configuration.simLatency))
            case .docker, .kvm:
                throw HostError.configuration("the \(kind.rawValue) backend is not available in this build yet; use --backends sim")
            }
        }
    }
}
