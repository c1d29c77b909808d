import FlotillaBackends
import FlotillaCore
import Logging

/// Makes the backends a host runs: what the configuration names, else every backend found working plus
/// `sim` (docker is included when its daemon answers `GET /_ping` within a second). Naming a backend this
/// build does not have is a clear configuration error.
enum BackendFactory {
    static func make(_ configuration: HostConfiguration, logger: Logger) async throws -> [any ComputeBackend] {
        var backends: [any ComputeBackend] = []
        guard let wanted = configuration.backends else {
            let docker = makeDocker(configuration, logger: logger)
            if await docker.ping(timeout: .seconds(1)) {
                backends.append(docker)
            } else {
                logger.info("docker backend not enabled: no daemon answers", metadata: ["socket": "\(configuration.dockerSocket)"])
            }
            backends.append(SimBackend(configuration: .init(defaultLatency: configuration.simLatency)))
            return backends
        }
        for kind in wanted {
            switch kind {
            case .sim:
                backends.append(SimBackend(configuration: .init(defaultLatency: configuration.simLatency)))
            case .docker:
                // Named explicitly: enabled even while the daemon is down (it reports BACKEND_UNAVAILABLE
                // until the daemon answers).
                backends.append(makeDocker(configuration, logger: logger))
            case .kvm:
                throw HostError.configuration("the \(kind.rawValue) backend is not available in this build yet; use --backends sim,docker")
            }
        }
        return backends
    }

    private static func makeDocker(_ configuration: HostConfiguration, logger: Logger) -> DockerBackend {
        var backendLogger = Logger(label: logger.label + ".docker")
        backendLogger.logLevel = logger.logLevel
        return DockerBackend(configuration: .init(socketPath: configuration.dockerSocket), logger: backendLogger)
    }
}
