import NIOCore
import NIOSSL

/// The source's first handler on a connection to the destination (after TLS): sends the header with the token and
/// waits, within a deadline, for the destination's answer (``TunnelHeader``). Reports once, through the callback
/// given to ``start(context:token:timeout:address:_:)``: the bytes that followed `OK` (the destination's QEMU may
/// speak first), or why the tunnel cannot open.
final class TunnelAnswerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Completion = (Result<ByteBuffer, MigrationTunnelError>) -> Void

    private var context: ChannelHandlerContext?
    private var completion: Completion?
    private var deadline: Scheduled<Void>?
    private var received = ByteBuffer()
    private var address = ""
    /// The first TLS error seen: a closed connection after it is a failed handshake, not a rejected token.
    private var tlsError: (any Error)?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        self.context = nil
    }

    /// Sends the header for `token` and calls `completion` once with the outcome, within `timeout`.
    func start(token: String, timeout: Duration, address: String, _ completion: @escaping Completion) {
        guard let context else {
            completion(.failure(.peerClosed(address: address, reason: "closed before the token was sent")))
            return
        }
        self.address = address
        self.completion = completion
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            self.finish(.failure(.timeout(address: address, after: timeout)))
        }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: TunnelHeader.line(token: token))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard completion != nil else { return }
        var buffer = unwrapInboundIn(data)
        received.writeBuffer(&buffer)
        guard let (line, rest) = TunnelHeader.splitLine(&received) else {
            if received.readableBytes > TunnelHeader.answerLimit {
                finish(.failure(.peerClosed(address: address, reason: "the destination's answer is not the tunnel's")))
            }
            return
        }
        switch String(buffer: line) {
        case TunnelHeader.accepted: finish(.success(rest))
        case TunnelHeader.unavailable: finish(.failure(.destinationUnavailable(address: address)))
        default: finish(.failure(.peerClosed(address: address, reason: "the destination's answer is not the tunnel's")))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closedBeforeAnswer()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { closedBeforeAnswer() }
        context.fireUserInboundEventTriggered(event)
    }

    /// The destination ended the connection without answering: it closes a wrong token's connection unanswered.
    private func closedBeforeAnswer() {
        if let tlsError {
            finish(.failure(.tlsHandshakeFailed(address: address, reason: "\(tlsError)")))
        } else {
            finish(.failure(.tokenRejected(address: address)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            if tlsError == nil { tlsError = error }
            finish(.failure(.tlsHandshakeFailed(address: address, reason: "\(error)")))
        } else {
            finish(.failure(.peerClosed(address: address, reason: "\(error)")))
        }
    }

    /// Reports `result` (once); a failure closes the connection.
    private func finish(_ result: Result<ByteBuffer, MigrationTunnelError>) {
        guard let completion else { return }
        self.completion = nil
        deadline?.cancel()
        if case .failure = result { context?.close(promise: nil) }
        completion(result)
    }
}

@available(*, unavailable)
extension TunnelAnswerHandler: Sendable {}
