import Logging
import NIOCore
import NIOHTTPTypes

/// Closes an HTTP connection whose client is too slow, as ``RequestDeadlines`` decides: idle too long, a head
/// not complete in time, a body stalled or under the minimum rate. It sends nothing first (ADR 0013). One per
/// connection, after the HTTP/1 decoder, so it sees request parts, socket reads and the server's read requests.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeouts: ConnectionTimeouts
    private var deadlines: RequestDeadlines
    private let logger: Logger
    private var timer: (at: ContinuousClock.Instant, task: Scheduled<Void>)?

    init(timeouts: ConnectionTimeouts, logger: Logger) {
        self.timeouts = timeouts
        self.deadlines = RequestDeadlines(timeouts: timeouts, now: .now)
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        // The idle wait of a new connection starts when it is accepted.
        deadlines = RequestDeadlines(timeouts: timeouts, now: .now)
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines.headReceived(at: .now)
        case .body(let bytes): deadlines.bodyReceived(bytes: bytes.readableBytes, at: .now)
        case .end: deadlines.requestEnded(at: .now)
        }
        arm(context)
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        deadlines.readCompleted(at: .now)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        deadlines.readRequested(at: .now)
        arm(context)
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            deadlines.responseEnded(at: .now)
            arm(context)
        }
        context.write(data, promise: promise)
    }

    /// Makes sure a timer runs for the next deadline: a new one if none runs or the deadline came closer.
    private func arm(_ context: ChannelHandlerContext) {
        guard let next = deadlines.nextCheck else { return }
        if let timer, timer.at <= next { return }
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(next - .now)) { [self] in
            timer = nil
            check(context)
        }
        timer = (next, task)
    }

    private func check(_ context: ChannelHandlerContext) {
        if let phase = deadlines.expired(at: .now) {
            logger.debug(
                "connection closed: client too slow",
                metadata: ["phase": "\(phase.rawValue)", "address": "\(context.channel.remoteAddress?.ipAddress ?? "local")"])
            context.close(promise: nil)
        } else {
            arm(context)
        }
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}
