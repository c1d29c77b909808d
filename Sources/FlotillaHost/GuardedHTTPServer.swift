import Hummingbird
import HummingbirdCore
import Logging

/// The HTTP/1 server of a host with its connection limits and deadlines (docs/decisions/0013-connection-limits.md):
/// every connection passes a ``ConnectionGate`` (caps in all and per source address, shared by the listener)
/// and a ``RequestDeadlineHandler`` (idle, head and body deadlines).
enum GuardedHTTPServer {
    /// The server for `configuration`, its caps derived from the open-file limit in force now where not given;
    /// logs the figures once.
    static func builder(_ configuration: HostConfiguration, logger: Logger) -> HTTPServerBuilder {
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
        return .http1(
            configuration: .init(additionalChannelHandlers: [
                ConnectionGate(counter: counter, logger: logger), RequestDeadlineHandler(timeouts: timeouts, logger: logger),
            ]))
    }
}
