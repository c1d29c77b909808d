import Logging
import NIOCore
import NIOHTTPTypes

/// Admits or closes each new HTTP connection as its ``ConnectionCounter`` decides, at once when it becomes
/// active, and gives its place back when it closes. One per connection.
final class ConnectionGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let counter: ConnectionCounter
    private let logger: Logger
    /// The source address this connection was counted under; nil until admitted.
    private var counted: String?

    init(counter: ConnectionCounter, logger: Logger) {
        self.counter = counter
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "local"
        let verdict = counter.open(from: address)
        guard verdict == .admit else {
            logger.debug("connection refused", metadata: ["address": "\(address)", "reason": "\(verdict)"])
            context.close(promise: nil)
            return
        }
        counted = address
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let counted { counter.close(from: counted) }
        counted = nil
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ConnectionGate: Sendable {}
