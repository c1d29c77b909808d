import FlotillaCore

extension EtcdClusterStore {
    /// Grants a lease of `ttl` rounded up to whole seconds (etcd raises TTLs below its floor, about
    /// 1.5 × the election timeout). Sent again on another member when an answer is lost: the lease granted
    /// by a lost answer has no keys and expires on its own.
    public func grantLease(ttl: Duration) async throws -> LeaseID {
        let seconds = EtcdWire.ttlSeconds(ttl)
        guard seconds > 0 else { throw StoreError.invalid("lease TTL must be positive, got \(ttl)") }
        let response = try await call(
            "/v3/lease/grant", EtcdWire.LeaseGrantRequest(TTL: .init(seconds)), as: EtcdWire.LeaseGrantResponse.self,
            retry: .idempotent)
        if let error = response.error, !error.isEmpty { throw StoreError.unavailable("etcd refused the lease: \(error)") }
        guard let id = response.ID?.value, id != 0 else { throw StoreError.unavailable("etcd granted a lease without an ID") }
        return LeaseID(id)
    }

    /// One renewal (`/v3/lease/keepalive` answers one message per request). etcd answers an unknown or
    /// expired lease with TTL 0 (omitted): that is ``StoreError/leaseNotFound(_:)``.
    @discardableResult
    public func keepAlive(_ lease: LeaseID) async throws -> Duration {
        let message = try await call(
            "/v3/lease/keepalive", EtcdWire.LeaseIDRequest(ID: .init(lease.rawValue)),
            as: EtcdWire.StreamMessage<EtcdWire.LeaseKeepAliveResponse>.self, retry: .idempotent, lease: lease)
        if let error = message.error {
            throw EtcdError.server(
                endpoint: "-", code: error.grpc_code ?? EtcdError.GRPCCode.unavailable, message: error.message ?? "keep-alive failed"
            ).storeError(lease: lease)
        }
        guard let ttl = message.result?.TTL?.value, ttl > 0 else { throw StoreError.leaseNotFound(lease) }
        return .seconds(ttl)
    }

    /// Revokes `lease`, deleting its keys in one revision. An unknown or expired lease is not an error.
    public func revokeLease(_ lease: LeaseID) async throws {
        do {
            _ = try await call(
                "/v3/lease/revoke", EtcdWire.LeaseIDRequest(ID: .init(lease.rawValue)), as: EtcdWire.LeaseRevokeResponse.self,
                retry: .idempotent, lease: lease)
        } catch StoreError.leaseNotFound {
            return
        }
    }
}
