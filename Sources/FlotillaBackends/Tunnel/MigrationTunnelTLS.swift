import NIOSSL

/// The TLS of a host's migration tunnels (docs/decisions/0027-live-migration.md): what the backend passes to
/// ``MigrationTunnelListener`` (``server``) and ``MigrationTunnelDialer`` (``client``). Carried in the kvm backend's
/// configuration (`QEMUBackend.Configuration`); ``plain`` on a host without TLS, where the one-time token is the only
/// credential.
public struct MigrationTunnelTLS: Sendable {
    /// The destination's listener: the host's certificate, and when peers must present one, the cluster CA it
    /// checks their certificate against.
    public var server: TLSConfiguration?
    /// The source's dialer: trusts the cluster CA, checks the destination's address against its certificate, and
    /// presents this host's certificate.
    public var client: TLSConfiguration?

    /// No TLS: the streams cross the network in clear (loopback and `--insecure` hosts only).
    public static let plain = MigrationTunnelTLS(server: nil, client: nil)

    /// `server` and `client` as the host built them (its listener's and its host-to-host client's). With
    /// `requirePeerCertificate` (the host runs with a cluster CA), the listener refuses a connection whose client
    /// presents no certificate, or one that does not chain to the CA: unlike the HTTP listener, no API client ever
    /// connects to a tunnel.
    public init(server: TLSConfiguration?, client: TLSConfiguration?, requirePeerCertificate: Bool = false) {
        var server = server
        if requirePeerCertificate { server?.certificateVerification = .noHostnameVerification }
        self.server = server
        self.client = client
    }

    /// Whether the tunnels are encrypted (both sides configured).
    public var isEncrypted: Bool { server != nil && client != nil }
}
