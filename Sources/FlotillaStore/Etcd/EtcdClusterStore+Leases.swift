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

    /// The host and port of the configured endpoint the lease stream renews on (``EtcdLeaseTarget``): every endpoint is
    /// asked for its status at once, each within the request deadline; the first member to say it leads settles it.
    static func leaseEndpoint(_ transport: EtcdTransport) async throws -> (host: String, port: Int) {
        let answers = await withTaskGroup(of: EtcdLeaseTarget.Answer?.self) { group in
            for index in transport.memberOrder() {
                group.addTask {
                    guard
                        let status = try? await transport.call(
                            member: index, "/v3/maintenance/status", EtcdWire.Empty(), as: EtcdWire.StatusResponse.self)
                    else { return nil }
                    return EtcdLeaseTarget.Answer(
                        endpoint: index, member: status.header?.member_id?.text, leader: status.leader?.text,
                        term: status.raftTerm?.value ?? status.header?.raft_term?.value ?? 0)
                }
            }
            var byEndpoint: [Int: EtcdLeaseTarget.Answer] = [:]
            for await answer in group {
                guard let answer else { continue }
                if EtcdLeaseTarget.settles(answer) {
                    group.cancelAll()
                    return [answer]
                }
                byEndpoint[answer.endpoint] = answer
            }
            return transport.memberOrder().compactMap { byEndpoint[$0] }
        }
        guard let chosen = EtcdLeaseTarget.choose(answers) else {
            throw StoreError.unavailable("etcd: no member answered at \(transport.endpoints.joined(separator: ", "))")
        }
        guard let url = URL(string: transport.endpoints[chosen]), let host = url.host else {
            throw StoreError.unavailable("etcd: endpoint \(transport.endpoints[chosen]) has no host to renew leases on")
        }
        return (host, url.port ?? (url.scheme == "https" ? 443 : 80))
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
