/// Why a migration tunnel failed, in the words the backend reports (docs/decisions/0027-live-migration.md).
public enum MigrationTunnelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An address that is not `host:port`, a token that cannot be sent, or a TLS configuration NIOSSL refuses.
    case configuration(String)
    /// The tunnel could not listen (the destination's TCP port or the source's unix socket).
    case listen(address: String, reason: String)
    /// The source could not connect to the destination's tunnel (refused, unreachable, or no answer in time).
    case refused(address: String, reason: String)
    /// The TLS handshake between the hosts failed (an untrusted or missing certificate on either side).
    case tlsHandshakeFailed(address: String, reason: String)
    /// The destination closed the connection before accepting the token (a wrong or stale token).
    case tokenRejected(address: String)
    /// The destination accepted the token but could not reach its local QEMU socket.
    case destinationUnavailable(address: String)
    /// No answer to the token within the deadline.
    case timeout(address: String, after: Duration)
    /// The other end closed the connection, or sent something that is not the tunnel's answer.
    case peerClosed(address: String, reason: String)

    public var description: String {
        switch self {
        case .configuration(let reason):
            return "migration tunnel: \(reason)"
        case .listen(let address, let reason):
            return "migration tunnel: cannot listen on \(address): \(reason)"
        case .refused(let address, let reason):
            return "migration tunnel: cannot connect to the destination \(address): \(reason)"
        case .tlsHandshakeFailed(let address, let reason):
            return "migration tunnel: TLS handshake with \(address) failed: \(reason)"
        case .tokenRejected(let address):
            return "migration tunnel: the destination \(address) rejected the migration token"
        case .destinationUnavailable(let address):
            return "migration tunnel: the destination \(address) accepted the token but cannot reach its incoming QEMU"
        case .timeout(let address, let after):
            return "migration tunnel: no answer from the destination \(address) within \(after)"
        case .peerClosed(let address, let reason):
            return "migration tunnel: the connection with \(address) closed: \(reason)"
        }
    }
}
