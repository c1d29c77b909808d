import FlotillaTLS
import Logging
import NIOCertificateReloading
import NIOSSL

/// A host's TLS at run time (ADR 0017): one reloader of its certificate and key (a service: it reads the files
/// again every ``TLSFiles/reloadInterval``) behind the HTTP and gRPC listeners, so a renewed certificate is
/// served without a restart. The host-to-host client presents the certificate read at start.
struct HostTLS: Sendable {
    let reloader: TimedCertificateReloader
    /// The HTTP listener's configuration.
    let server: TLSConfiguration
    /// The host-to-host client's: trusts the cluster CA (else the system's roots) and presents this host's
    /// certificate.
    let peerClient: TLSConfiguration
    /// Whether the internal routes require a client certificate of the cluster CA (`--tls-ca` given).
    let requiresPeerCertificate: Bool

    /// nil without TLS; throws a configuration error naming the file that cannot be used.
    static func make(_ files: ListenerTLS?, logger: Logger) throws -> HostTLS? {
        guard let files else { return nil }
        do {
            let reloader = try TLSFiles.reloader(certificate: files.certificate, key: files.key, logger: logger)
            // The client side reads the certificate once, at start: a renewal reaches other hosts after a restart.
            let peerClient = try TLSFiles.client(ca: files.clusterCA, certificate: files.certificate, key: files.key)
            return HostTLS(
                reloader: reloader, server: try TLSFiles.server(reloader: reloader, clientCA: files.clusterCA),
                peerClient: peerClient, requiresPeerCertificate: files.clusterCA != nil)
        } catch let error as TLSFileError {
            throw HostError.configuration(error.message)
        } catch {
            throw HostError.configuration("cannot set up TLS: \(error)")
        }
    }
}
