import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The destination's end of a migration tunnel (docs/decisions/0027-live-migration.md): listens on a TCP port of the
/// host, and for every connection that opens with the right token, connects to the incoming QEMU's unix socket and
/// carries the bytes both ways until either side closes (each direction ends on its own, as NBD and QEMU's migration
/// stream end). With TLS, every connection is TLS first (the host's certificate; a client certificate of the cluster
/// CA when ``MigrationTunnelTLS`` requires one). Several connections at once are fine (NBD may open more than one).
///
/// ```swift
/// let listener = try await MigrationTunnelListener.open(
///     host: "10.0.0.2", token: token, socketPath: instanceFolder + "/migration.sock", tls: tls.server, logger: logger)
/// // announce listener.address ("10.0.0.2:PORT") to the source; later:
/// await listener.close()
/// ```
public final class MigrationTunnelListener: Sendable {
    /// The port the listener took (the system chose it).
    public let port: Int
    /// `host:port` to give the source (`[host]:port` for an IPv6 address).
    public let address: String
    private let server: any Channel
    private let channels: TunnelChannels

    private init(port: Int, address: String, server: any Channel, channels: TunnelChannels) {
        self.port = port
        self.address = address
        self.server = server
        self.channels = channels
    }

    /// Listens on `host` (an address of this host the source reaches; a port the system picks) and forwards every
    /// connection that sends `token` within `tokenTimeout` to the unix socket at `socketPath` (connected within
    /// `connectTimeout`, when the connection arrives). Throws ``MigrationTunnelError`` when it cannot listen.
    public static func open(
        host: String, token: String, socketPath: String, tls: TLSConfiguration?, tokenTimeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(5), logger: Logger
    ) async throws -> MigrationTunnelListener {
        if let problem = TunnelHeader.problem(with: token) { throw MigrationTunnelError.configuration(problem) }
        let context: NIOSSLContext?
        do {
            context = try tls.map { try NIOSSLContext(configuration: $0) }
        } catch {
            throw MigrationTunnelError.configuration("the listener's TLS configuration is unusable: \(error)")
        }
        let channels = TunnelChannels()
        let settings = TunnelTokenHandler.Settings(
            token: token, socketPath: socketPath, tokenTimeout: tokenTimeout, connectTimeout: connectTimeout,
            channels: channels, logger: logger)
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.backlog, value: 16)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard channels.add(channel) else { throw ChannelError.ioOnClosedChannel }
                        if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                        try channel.pipeline.syncOperations.addHandler(TunnelTokenHandler(settings))
                    }
                }
                .bind(host: host, port: 0).get()
        } catch {
            throw MigrationTunnelError.listen(address: "\(host):0", reason: "\(error)")
        }
        guard let port = server.localAddress?.port else {
            try? await server.close()
            throw MigrationTunnelError.listen(address: "\(host):0", reason: "no local port")
        }
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        logger.debug("migration tunnel listening", metadata: ["address": "\(address)", "socket": "\(socketPath)", "tls": "\(tls != nil)"])
        return MigrationTunnelListener(port: port, address: address, server: server, channels: channels)
    }

    /// How many connections are open (both sides of each spliced one, and those still sending their token).
    public var openConnections: Int { channels.count }

    /// Stops listening (the port is free again) and closes every open connection; returns once all are closed.
    public func close() async {
        try? await server.close()
        await channels.closeAll()
    }
}
