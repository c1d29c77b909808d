import NIOCore
import NIOSSL

/// One end of a splice between two connections on the same event loop: what one reads, the other writes, with
/// backpressure (a side reads only while its partner's writes are not piling up) and half-closure (an end of input
/// on one side closes the other's output, after the bytes before it are written). Made in pairs by
/// ``pair()``; each handler sits last in its channel's pipeline.
final class TunnelGlueHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: TunnelGlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// The last write to this side: it completes once everything the partner read before it is written.
    private var lastWrite: EventLoopFuture<Void>?

    private init() {}

    /// Two handlers that forward to each other.
    static func pair() -> (TunnelGlueHandler, TunnelGlueHandler) {
        let first = TunnelGlueHandler()
        let second = TunnelGlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    /// Passes `buffer` to the partner's channel as if this side had read it: bytes read before the splice.
    func forward(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        partner?.partnerWrite(buffer)
        partner?.partnerFlush()
    }

    /// Closes the partner's output once the bytes before are written, as this side's end of input does: an end of
    /// input that arrived before the splice (NIO drains a connection's input on its end even with `autoRead` off).
    func forwardInputClosed() {
        partner?.partnerInputClosed()
    }

    // MARK: called by the partner

    private func partnerWrite(_ buffer: ByteBuffer) {
        guard let context else { return }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(buffer), promise: promise)
        lastWrite = promise.futureResult
    }

    private func partnerFlush() {
        context?.flush()
    }

    private func partnerWritabilityChanged(isWritable: Bool) {
        if isWritable, pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    private var partnerIsWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerInputClosed() {
        afterWrites { $0.close(mode: .output, promise: nil) }
    }

    private func partnerClosed() {
        afterWrites { $0.close(promise: nil) }
    }

    /// Runs `close` on this side's channel once every byte the partner read is written: NIO and NIOSSL turn closing
    /// the output of a channel whose input already ended into a full close, which drops the writes still pending.
    private func afterWrites(_ close: @escaping @Sendable (any Channel) -> Void) {
        guard let context else { return }
        let channel = context.channel
        context.flush()
        if let lastWrite {
            lastWrite.whenComplete { _ in close(channel) }
        } else {
            close(channel)
        }
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.partnerWrite(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        partner?.partnerWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            partner?.partnerInputClosed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.partnerClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TLS peer that ends with a bare FIN instead of close_notify: the end of input follows as an event.
        if let error = error as? NIOSSLError, case .uncleanShutdown = error { return }
        context.close(promise: nil)
    }

    // MARK: outbound

    func read(context: ChannelHandlerContext) {
        if partner?.partnerIsWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

@available(*, unavailable)
extension TunnelGlueHandler: Sendable {}
