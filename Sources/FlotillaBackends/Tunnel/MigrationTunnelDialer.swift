import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The source's end of a migration tunnel (docs/decisions/0027-live-migration.md): listens on a unix socket that the
/// source's QEMU connects to (its migration URI or NBD target), and carries each such connection to the destination's
/// ``MigrationTunnelListener`` at `host:port`: connect (with a deadline), TLS when configured, the token, the
/// destination's answer, then the bytes both ways until either side closes (half-closure passes through). A
/// connection that cannot be carried is closed (QEMU then reports the migration failed); ``lastError`` says why.
///
/// ```swift
/// let dialer = try await MigrationTunnelDialer.open(
///     socketPath: instanceFolder + "/migrate-out.sock", to: incoming.migrationAddress, token: incoming.token,
///     tls: tls.client, logger: logger)
/// // QMP: migrate "unix:<socketPath>"; afterwards, whatever happened:
/// await dialer.close()
/// ```
public final class MigrationTunnelDialer: Sendable {
    /// The unix socket QEMU connects to.
    public let socketPath: String
    /// The destination's `host:port`.
    public let destination: String
    private let server: any Channel
    private let channels: TunnelChannels

    private init(socketPath: String, destination: String, server: any Channel, channels: TunnelChannels) {
        self.socketPath = socketPath
        self.destination = destination
        self.server = server
        self.channels = channels
    }

    /// Listens on `socketPath` (a file left there is replaced) and carries every connection to `destination`
    /// (`host:port` or `[v6]:port`, as ``MigrationTunnelListener/address`` gives it), connecting within
    /// `connectTimeout` and waiting `answerTimeout` for the destination to accept `token`. Throws
    /// ``MigrationTunnelError`` when the address, token or TLS configuration cannot be used or the socket cannot be
    /// made; nothing is sent to the destination before QEMU connects.
    public static func open(
        socketPath: String, to destination: String, token: String, tls: TLSConfiguration?,
        connectTimeout: Duration = .seconds(5), answerTimeout: Duration = .seconds(10), logger: Logger
    ) async throws -> MigrationTunnelDialer {
        guard let (host, port) = splitAddress(destination) else {
            throw MigrationTunnelError.configuration("the destination \(destination) is not host:port")
        }
        if let problem = TunnelHeader.problem(with: token) { throw MigrationTunnelError.configuration(problem) }
        let context: NIOSSLContext?
        do {
            context = try tls.map { try NIOSSLContext(configuration: $0) }
        } catch {
            throw MigrationTunnelError.configuration("the dialer's TLS configuration is unusable: \(error)")
        }
        let channels = TunnelChannels()
        let settings = TunnelDialHandler.Settings(
            host: host, port: port, address: destination, token: token, tls: context, connectTimeout: connectTimeout,
            answerTimeout: answerTimeout, channels: channels, logger: logger)
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.backlog, value: 16)
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelOption(ChannelOptions.autoRead, value: false)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard channels.add(channel) else { throw ChannelError.ioOnClosedChannel }
                        try channel.pipeline.syncOperations.addHandler(TunnelDialHandler(settings))
                    }
                }
                .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).get()
        } catch {
            throw MigrationTunnelError.listen(address: socketPath, reason: "\(error)")
        }
        logger.debug(
            "migration tunnel dialer ready", metadata: ["socket": "\(socketPath)", "destination": "\(destination)", "tls": "\(tls != nil)"])
        return MigrationTunnelDialer(socketPath: socketPath, destination: destination, server: server, channels: channels)
    }

    /// Why the last connection that could not be carried failed (refused, TLS, token, timeout); nil while none did.
    public var lastError: MigrationTunnelError? { channels.lastFailure }

    /// How many connections are open (QEMU's and the destination's side of each).
    public var openConnections: Int { channels.count }

    /// Stops listening, removes the socket file and closes every open connection; returns once all are closed.
    public func close() async {
        try? await server.close()
        await channels.closeAll()
        try? FileManager.default.removeItem(atPath: socketPath)
    }

    /// `host:port` or `[host]:port` as a host and a port; nil when it is neither.
    static func splitAddress(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }
}
