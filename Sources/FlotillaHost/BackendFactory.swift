import FlotillaBackends
import FlotillaCore
import Logging

/// Makes the backends a host runs: what the configuration names, else every backend found working plus
/// `sim`: docker when its daemon answers `GET /_ping` within a second, kvm when `qemu-system-x86_64` is on
/// PATH. With TLS, the kvm backend's live migration tunnels use the host's (``migrationTLS(_:)``).
enum BackendFactory {
    static func make(_ configuration: HostConfiguration, tls: HostTLS? = nil, logger: Logger) async throws -> [any ComputeBackend] {
        let migrationTLS = Self.migrationTLS(tls)
        guard let wanted = configuration.backends else {
            var backends: [any ComputeBackend] = []
            let docker = makeDocker(configuration, logger: logger)
            if await docker.ping(timeout: .seconds(1)) {
                backends.append(docker)
            } else {
                logger.info("docker backend not enabled: no daemon answers", metadata: ["socket": "\(configuration.dockerSocket)"])
            }
            if QEMUBackend.isInstalled { backends.append(makeKVM(configuration, migrationTLS: migrationTLS, logger: logger)) }
            backends.append(makeSim(configuration))
            return backends
        }
        return wanted.map { kind -> any ComputeBackend in
            switch kind {
            case .sim: return makeSim(configuration)
            // Named explicitly: enabled even while the daemon is down (it reports BACKEND_UNAVAILABLE until it answers).
            case .docker: return makeDocker(configuration, logger: logger)
            case .kvm: return makeKVM(configuration, migrationTLS: migrationTLS, logger: logger)
            }
        }
    }

    private static func makeSim(_ configuration: HostConfiguration) -> SimBackend {
        SimBackend(configuration: .init(defaultLatency: configuration.simLatency, stateFile: configuration.simStateFile))
    }

    private static func makeDocker(_ configuration: HostConfiguration, logger: Logger) -> DockerBackend {
        DockerBackend(configuration: .init(socketPath: configuration.dockerSocket), logger: logger.child("docker"))
    }

    /// The kvm backend makes VM network devices through netlink, in `--vm-netns` when given, where it also runs QEMU.
    private static func makeKVM(_ configuration: HostConfiguration, migrationTLS: MigrationTunnelTLS, logger: Logger) -> QEMUBackend {
        let mode = AccelDetector.Mode(rawValue: configuration.kvmAccel.rawValue) ?? .auto
        var kvm = QEMUBackend.Configuration(
            directory: configuration.kvmDirectory, accel: mode, links: NetlinkHostLinks(namespace: configuration.vmNetns),
            networkNamespace: configuration.vmNetns)
        kvm.migrationTLS = migrationTLS
        kvm.sharedDirectory = configuration.kvmSharedDirectory
        return QEMUBackend(configuration: kvm, logger: logger.child("kvm"))
    }

    /// The live migration tunnels' TLS (docs/decisions/0027-live-migration.md): the destination's listener serves
    /// the host's certificate and, with a cluster CA, requires the source's; the source's dialer is the host-to-host
    /// client (trusts the cluster CA, presents the host's certificate). Plain without TLS.
    static func migrationTLS(_ tls: HostTLS?) -> MigrationTunnelTLS {
        guard let tls else { return .plain }
        return MigrationTunnelTLS(server: tls.server, client: tls.peerClient, requirePeerCertificate: tls.requiresPeerCertificate)
    }
}
