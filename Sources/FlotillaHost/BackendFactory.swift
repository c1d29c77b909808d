import FlotillaBackends
import FlotillaCore
import Logging

/// Makes the backends a host runs: what the configuration names, else every backend found working plus
/// `sim` (`kvm` when `qemu-system-x86_64` is on PATH). `docker` does not exist yet; naming it is a clear
/// configuration error.
enum BackendFactory {
    static func make(_ configuration: HostConfiguration, logger: Logger) throws -> [any ComputeBackend] {
        let wanted = configuration.backends ?? (QEMUBackend.isInstalled ? [.sim, .kvm] : [.sim])
        return try wanted.map { kind -> any ComputeBackend in
            switch kind {
            case .sim:
                return SimBackend(configuration: .init(defaultLatency: configuration.simLatency))
            case .kvm:
                let mode = AccelDetector.Mode(rawValue: configuration.kvmAccel.rawValue) ?? .auto
                return QEMUBackend(
                    configuration: .init(directory: configuration.kvmDirectory, accel: mode),
                    logger: logger.child("kvm"))
            case .docker:
                throw HostError.configuration("the \(kind.rawValue) backend is not available in this build yet; use --backends sim")
            }
        }
    }
}
