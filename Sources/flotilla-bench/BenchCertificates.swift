import AsyncHTTPClient
import FlotillaHost
import FlotillaTLS
import Foundation
import NIOCore
import NIOSSL

/// A cluster CA and host certificates for the TLS benchmarks, made with the project's own
/// `CertificateAuthority` (docs/decisions/0017-tls-and-the-cluster-secret.md) in a folder of their own.
struct BenchCertificates {
    let directory: String
    /// The CA certificate's file: clients trust it; hosts given it require it of each other.
    let caFile: String
    private let ca: CertificateAuthority

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        ca = try CertificateAuthority.create(name: "Flotilla bench CA")
        caFile = directory + "/ca.pem"
        try Data(try ca.certificatePEM.utf8).write(to: URL(fileURLWithPath: caFile))
    }

    /// A listener configuration for `host` with a new certificate valid for 127.0.0.1 and localhost; with
    /// `mutual`, the host requires the cluster CA of other hosts and presents its certificate when it calls them.
    func listener(_ host: String, mutual: Bool) throws -> ListenerTLS {
        let issued = try ca.issue(host: host, alternativeNames: ["127.0.0.1", "localhost"].compactMap(SubjectAlternativeName.init))
        let base = directory + "/" + host
        try issued.save(certificate: base + ".pem", key: base + "-key.pem")
        return ListenerTLS(certificate: base + ".pem", key: base + "-key.pem", clusterCA: mutual ? caFile : nil)
    }

    /// A client configuration that trusts the CA and presents no certificate (an API-key client).
    func client() throws -> TLSConfiguration {
        try TLSFiles.client(ca: caFile, certificate: nil, key: nil)
    }

    /// A pooled keep-alive client of `connections` connections per host, on TLS when `tls` is given.
    static func httpClient(connections: Int, tls: TLSConfiguration?) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
