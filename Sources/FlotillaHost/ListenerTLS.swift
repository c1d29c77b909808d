/// The TLS files of a host (ADR 0017): its certificate and key (PEM, read again when they change) serve the HTTP
/// and gRPC listeners and identify the host when it calls another; the cluster CA, when given, is the only
/// authority this host trusts for other hosts, and the internal routes then require a client certificate
/// that chains to it.
public struct ListenerTLS: Sendable, Equatable {
    public var certificate: String
    public var key: String
    /// The cluster CA (`--tls-ca`); nil: clients and hosts are not asked for certificates and host-to-host
    /// calls trust the system's roots.
    public var clusterCA: String?

    public init(certificate: String, key: String, clusterCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clusterCA = clusterCA
    }
}
