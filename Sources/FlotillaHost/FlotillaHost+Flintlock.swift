import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import FlotillaServer

extension FlotillaHost {
    /// Surface E's gRPC listener on the configured address (nil when `grpcListenPort` is nil), checking callers
    /// with the HTTP surfaces' API keys. `port` overrides the configured port (0: an ephemeral one, for tests).
    public func flintlockServer(port: Int? = nil, onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        -> FlintlockGRPCServer?
    {
        guard let port = port ?? configuration.grpcListenPort else { return nil }
        let authenticator = keys.authenticator
        let audit = AuditLog(store: store, logger: logger.child("audit"))
        let now = identity.now
        let service = MicroVMGRPCService(
            service: FlintlockService(instances: instances, registry: registry),
            authorize: { secret, permission in _ = try authenticator.authorize(secret: secret, permission: permission) },
            logger: logger.child("grpc"),
            audit: { event in
                // The audit trail names the caller's key by id and name, never by its secret (ADR 0018).
                let principal = authenticator.identify(secret: event.secret)
                let at = now()
                await audit.record(
                    AuditRecord(
                        id: ULID(date: at).description, at: at, requestId: event.requestId, keyId: principal?.keyId,
                        keyName: principal?.name, role: principal?.role, remoteAddress: event.remoteAddress, surface: "grpc",
                        method: "RPC", route: event.rpc, targetId: event.targetId, status: event.status))
            })
        return FlintlockGRPCServer(
            host: configuration.grpcListenHost, port: port, services: [service], certificateReloader: tls?.reloader,
            logger: logger.child("grpc"),
            onListening: onListening)
    }

    /// Surface E's gRPC listener as `run()` runs it (nil when off): its bound port opens the listener's latch.
    func flintlockListener() -> BoundListener? {
        guard let port = configuration.grpcListenPort else { return nil }
        return BoundListener(host: configuration.grpcListenHost, port: port, option: "--grpc-listen") { bound in
            flintlockServer(onListening: { port in bound.open(port) })
        }
    }
}
