import FlotillaCluster
import FlotillaCore
import Logging
import ServiceLifecycle

/// The start of a served host (`FlotillaHost.run()`, ADR 0010). Once every listener bound its address, it
/// registers the host as a worker (refused with `HostIdentityConflict`, before anything is written, while
/// another live host uses its id), advertises the bound address when it listens on port 0, announces the
/// ports, and opens `started` for leader election, the leader probe and the agent. Then it keeps the
/// registration alive (`Membership`) until shutdown, which revokes it.
struct HostStartup: Service {
    let host: FlotillaHost
    let http: Latch<Int>
    /// Surface E's gRPC listener; nil when it is off.
    let grpc: Latch<Int>?
    let started: Latch<Void>
    let onListening: @Sendable (Int) async -> Void
    let onGRPCListening: @Sendable (Int) async -> Void

    func run() async throws {
        let ports: BoundPorts
        do {
            ports = try await cancelWhenGracefulShutdown { [http, grpc] in
                BoundPorts(http: try await http.wait(), grpc: try await grpc?.wait())
            }
        } catch is CancellationError {
            return
        }
        try await register(httpPort: ports.http)
        await onListening(ports.http)
        if let port = ports.grpc { await onGRPCListening(port) }
        started.open(())
        try await host.membership.run()
    }

    /// Registers (unless `build` did), advertises the bound port when the host listens on port 0 without
    /// `--advertise`, and waits (bounded) until this host's registry holds its own registration.
    private func register(httpPort: Int) async throws {
        let configuration = host.configuration
        if !host.registeredAtBuild { _ = try await host.membership.register() }
        if configuration.advertise == nil && configuration.listenPort == 0 {
            try await host.membership.advertise("\(configuration.scheme)://\(configuration.listenHost):\(httpPort)")
        }
        guard let written = try await host.store.get(StoreKeys.worker(host.identity.hostId)) else { return }
        if await !host.registry.waitForRevision(written.modRevision, timeout: .seconds(10)) {
            host.logger.warning("the registry has not caught up with this host's registration yet")
        }
    }

    private struct BoundPorts: Sendable {
        var http: Int
        var grpc: Int?
    }
}
