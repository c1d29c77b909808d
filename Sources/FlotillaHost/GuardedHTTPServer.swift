import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL

/// The HTTP/1 server of a host with its connection limits and deadlines (docs/decisions/0013-connection-limits.md):
/// every connection passes a ``ConnectionGate`` (caps in all and per source address, shared by the listener)
/// and a ``RequestDeadlineHandler`` (idle, head and body deadlines). With TLS (ADR 0017) the connection is
/// TLS first, and a ``PeerCertificateHandler`` names the client certificate it presented to the routes.
enum GuardedHTTPServer {
    /// The server for `configuration`, its caps derived from the open-file limit in force now where not given;
    /// logs the figures once.
    static func builder(_ configuration: HostConfiguration, tls: TLSConfiguration?, logger: Logger) -> HTTPServerBuilder {
        let openFiles = OpenFileLimit.current
        let limits = ConnectionLimits.derived(
            openFiles: openFiles, total: configuration.maxConnections, perAddress: configuration.maxConnectionsPerAddress)
        let timeouts = configuration.connectionTimeouts
        logger.info(
            "connection limits",
            metadata: [
                "open_files": "\(openFiles)", "max_connections": "\(limits.total)", "max_per_address": "\(limits.perAddress)",
                "idle_timeout": "\(timeouts.idle)", "header_timeout": "\(timeouts.header)", "body_timeout": "\(timeouts.body)",
                "body_min_rate": "\(timeouts.bodyMinRate)",
            ])
        let counter = ConnectionCounter(limits: limits)
        guard let tls else {
            return .http1(
                configuration: .init(additionalChannelHandlers: [
                    ConnectionGate(counter: counter, logger: logger), RequestDeadlineHandler(timeouts: timeouts, logger: logger),
                ]))
        }
        let http = HTTP1Channel.Configuration(additionalChannelHandlers: [
            ConnectionGate(counter: counter, logger: logger), RequestDeadlineHandler(timeouts: timeouts, logger: logger),
            PeerCertificateHandler(),
        ])
        // The TLS context is made once per listener (a bad file fails the start); the reloader behind `tls`
        // hands each handshake the certificate and key current at that moment.
        return HTTPServerBuilder { responder in
            try TLSChannel(HTTP1Channel(responder: responder, configuration: http), tlsConfiguration: tls)
        }
    }
}
