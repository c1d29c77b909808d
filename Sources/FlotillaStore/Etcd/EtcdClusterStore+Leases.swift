import FlotillaCore
import Foundation

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

    /// One renewal: a message on this client's lease stream to the leading member (``EtcdLeaseStream``), with the same
    /// TLS as every call, within ``requestTimeout``. etcd answers an unknown or expired lease with TTL 0: that is
    /// ``StoreError/leaseNotFound(_:)``.
    @discardableResult
    public func keepAlive(_ lease: LeaseID) async throws -> Duration {
        let ttl: Int64
        do {
            ttl = try await withDeadline(requestTimeout) { [leaseStream] in try await leaseStream.renew(lease.rawValue) }
        } catch let deadline as DeadlineExceeded {
            throw StoreError.unavailable("etcd lease renewal: \(deadline)")
        }
        guard ttl > 0 else { throw StoreError.leaseNotFound(lease) }
        return .seconds(ttl)
    }

    /// The client URL's host and port of the member that leads now (the first endpoint when none is known).
    static func leaderAddress(_ transport: EtcdTransport) async throws -> (host: String, port: Int) {
        do throws(EtcdError) {
            let status = try await transport.call(
                "/v3/maintenance/status", EtcdWire.Empty(), as: EtcdWire.StatusResponse.self, retry: .idempotent)
            let members = try await transport.call(
                "/v3/cluster/member/list", EtcdWire.Empty(), as: EtcdWire.MemberListResponse.self, retry: .idempotent)
            let leader = members.members?.first { $0.ID?.text == status.leader?.text }?.clientURLs?.first
            for candidate in [leader, transport.endpoints.first].compactMap({ $0 }) {
                if let url = URL(string: candidate), let host = url.host, let port = url.port { return (host, port) }
            }
        } catch {
            throw error.storeError()
        }
        throw StoreError.unavailable("etcd: no member's client URL to renew leases on")
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
