import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import FlotillaServer

extension FlotillaHost {
    /// Surface E's gRPC listener on the configured address (nil when `grpcListenPort` is nil), checking callers
    /// with the HTTP surfaces' API keys: the MicroVM service and gRPC server reflection (v1 and v1alpha). `port`
    /// overrides the configured port (0: an ephemeral one, for tests).
    public func flintlockServer(port: Int? = nil, onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        -> FlintlockGRPCServer?
    {
        guard let port = port ?? configuration.grpcListenPort else { return nil }
        let authenticator = keys.authenticator
        let audit = AuditLog(store: store, logger: logger.child("audit"))
        let clock = dependencies.clock
        let authorize: FlintlockAuthorizer = { secret, permission in
            _ = try authenticator.authorize(secret: secret, permission: permission)
        }
        let auditor: FlintlockAuditor = { event in
            // The audit trail names the caller's key by id and name, never by its secret (ADR 0018).
            let principal = authenticator.identify(secret: event.secret)
            let at = clock.now
            await audit.record(
                AuditRecord(
                    id: ULID(date: at).description, at: at, requestId: event.requestId, keyId: principal?.keyId,
                    keyName: principal?.name, role: principal?.role, remoteAddress: event.remoteAddress, surface: "grpc",
                    method: "RPC", route: event.rpc, targetId: event.targetId, status: event.status))
        }
        let service = MicroVMGRPCService(
            service: FlintlockService(instances: instances, registry: registry), authorize: authorize,
            logger: logger.child("grpc"), audit: auditor)
        // Server reflection (v1 and v1alpha) on the same server, under the same keys.
        let reflection = ServerReflectionService(authorize: authorize, audit: auditor)
        return FlintlockGRPCServer(
            host: configuration.grpcListenHost, port: port, services: [service, reflection, ServerReflectionAlphaService(reflection)],
            certificateReloader: tls?.reloader,
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
