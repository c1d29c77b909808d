import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// The gRPC listener of a host (default port 9090): a service of the host's group that stops gracefully,
/// finishing calls under way.
public struct FlintlockGRPCServer: Service {
    let host: String
    let port: Int
    let services: [any RegistrableRPCService]
    let onListening: @Sendable (Int) async -> Void
    let logger: Logger

    /// `port` 0 binds an ephemeral port; `onListening` receives the bound one.
    public init(
        host: String, port: Int, services: [any RegistrableRPCService], logger: Logger = Logger(label: "flotilla.grpc"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.services = services
        self.onListening = onListening
        self.logger = logger
    }

    /// The socket address for `host`: IPv6 when it has a colon, `localhost` as 127.0.0.1, else IPv4.
    static func address(host: String, port: Int) -> GRPCNIOTransportCore.SocketAddress {
        if host.contains(":") { return .ipv6(host: host, port: port) }
        return .ipv4(host: host == "localhost" ? "127.0.0.1" : host, port: port)
    }

    public func run() async throws {
        let transport = HTTP2ServerTransport.Posix(
            address: Self.address(host: host, port: port), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: services)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serve() }
                let bound: GRPCNIOTransportCore.SocketAddress
                do {
                    bound = try await transport.listeningAddress
                } catch {
                    throw ListenError(host: host, port: port, cause: "\(error)")
                }
                let port = bound.ipv4?.port ?? bound.ipv6?.port ?? port
                logger.info("flintlock grpc listening", metadata: ["address": "\(host):\(port)"])
                await onListening(port)
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

/// The gRPC listener could not bind its address.
public struct ListenError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var cause: String
    public var description: String {
        "Flintlock gRPC could not listen on \(host):\(port) (is the port in use? --grpc-listen picks another, off turns gRPC off): \(cause)"
    }
}
