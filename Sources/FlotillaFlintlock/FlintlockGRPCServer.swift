import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCertificateReloading
import ServiceLifecycle

/// The gRPC listener of a host (default port 9090): a service of the host's group that stops gracefully,
/// finishing calls under way. With a certificate reloader it serves TLS (ADR 0017), as upstream Flintlock does,
/// with the certificate and key current at each handshake.
public struct FlintlockGRPCServer: Service {
    let host: String
    let port: Int
    let certificateReloader: (any CertificateReloader)?
    let services: [any RegistrableRPCService]
    let onListening: @Sendable (Int) async -> Void
    let logger: Logger

    /// `port` 0 binds an ephemeral port; `onListening` receives the bound one.
    public init(
        host: String, port: Int, services: [any RegistrableRPCService], certificateReloader: (any CertificateReloader)? = nil,
        logger: Logger = Logger(label: "flotilla.grpc"), onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.certificateReloader = certificateReloader
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
        let security: HTTP2ServerTransport.Posix.TransportSecurity =
            try certificateReloader.map { try .tls(certificateReloader: $0) } ?? .plaintext
        let transport = HTTP2ServerTransport.Posix(address: Self.address(host: host, port: port), transportSecurity: security)
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
                logger.info(
                    "flintlock grpc listening",
                    metadata: ["address": "\(host):\(port)", "tls": "\(certificateReloader != nil)"])
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
