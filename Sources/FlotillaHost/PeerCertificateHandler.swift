import FlotillaServer
import FlotillaTLS
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOSSL

/// Tells the routes which certificate the client of this connection presented (ADR 0017): on a TLS listener
/// with a cluster CA, a certificate is only accepted in the handshake if it chains to that CA, so its subject is
/// written into `X-Flotilla-Peer-Certificate` of every request on the connection. Whatever a client sent in that
/// header is removed first, so the routes can trust it. One per connection.
final class PeerCertificateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// The verified peer's subject, once looked up (the handshake is over when the first request arrives).
    private var subject: String??

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var request) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        request.headerFields[.peerCertificate] = nil
        if let subject = peerSubject(context) { request.headerFields[.peerCertificate] = subject }
        context.fireChannelRead(wrapInboundOut(.head(request)))
    }

    private func peerSubject(_ context: ChannelHandlerContext) -> String? {
        if let subject { return subject }
        let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
        let found = tls?.peerCertificate.map { TLSFiles.subject(of: $0) ?? "unreadable subject" }
        subject = .some(found)
        return found
    }
}

@available(*, unavailable)
extension PeerCertificateHandler: Sendable {}
