import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The destination's first handler on each tunnel connection (after TLS): reads the header line within a deadline
/// and checks its token (``TunnelHeader``). A wrong, missing, too long or late token closes the connection with
/// nothing read further and one log line. A right one connects to the QEMU socket, answers `OK` and splices the two
/// (``TunnelGlueHandler``), leaving the pipeline.
final class TunnelTokenHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings: Sendable {
        var token: String
        var socketPath: String
        var tokenTimeout: Duration
        var connectTimeout: Duration
        var channels: TunnelChannels
        var logger: Logger
    }

    private let settings: Settings
    private var received = ByteBuffer()
    private var deadline: Scheduled<Void>?
    private var decided = false
    /// Once the token is accepted: the bytes that followed it, for the QEMU socket once connected.
    private var early: ByteBuffer?
    /// Whether the source's input ended after the token was accepted, before the splice (passed on once spliced).
    private var inputEnded = false

    init(_ settings: Settings) {
        self.settings = settings
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startDeadline(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startDeadline(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let kept = early {
            guard kept.readableBytes + buffer.readableBytes <= TunnelHeader.earlyLimit else {
                context.close(promise: nil)
                return
            }
            early?.writeBuffer(&buffer)
        }
        guard !decided else { return }
        received.writeBuffer(&buffer)
        guard let (line, rest) = TunnelHeader.splitLine(&received) else {
            if received.readableBytes >= TunnelHeader.lineLimit { reject(context, "a header longer than \(TunnelHeader.lineLimit) bytes") }
            return
        }
        guard TunnelHeader.matches(line.readableBytesView, token: settings.token) else {
            reject(context, "a wrong migration token")
            return
        }
        accept(context, early: rest)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !decided {
            decided = true
            settings.logger.debug(
                "migration tunnel connection closed before its token", metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"]
            )
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event, early != nil {
            inputEnded = true
            return
        }
        if case ChannelEvent.inputClosed = event, !decided {
            decided = true
            deadline?.cancel()
            settings.logger.debug(
                "migration tunnel connection ended before its token",
                metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")"])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !decided {
            let what = error is NIOSSLError || error is BoringSSLError ? "a failed TLS handshake" : "an error"
            reject(context, "\(what) (\(error))")
        } else {
            context.close(promise: nil)
        }
    }

    private func startDeadline(_ context: ChannelHandlerContext) {
        guard deadline == nil, !decided else { return }
        let timeout = settings.tokenTimeout
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            self.reject(context, "no token within \(timeout)")
        }
    }

    private func reject(_ context: ChannelHandlerContext, _ reason: String) {
        guard !decided else { return }
        decided = true
        deadline?.cancel()
        settings.logger.warning(
            "migration tunnel refused a connection",
            metadata: ["peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "reason": "\(reason)"])
        context.close(promise: nil)
    }

    /// Stops reading from the source, connects to the QEMU socket and splices.
    private func accept(_ context: ChannelHandlerContext, early: ByteBuffer) {
        decided = true
        self.early = early
        deadline?.cancel()
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        let settings = settings
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelOption(ChannelOptions.autoRead, value: false)
            .connect(unixDomainSocketPath: settings.socketPath)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let local):
                    self.splice(context, with: local)
                case .failure(let error):
                    settings.logger.warning(
                        "migration tunnel cannot reach the incoming QEMU",
                        metadata: ["socket": "\(settings.socketPath)", "error": "\(error)"])
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: TunnelHeader.unavailable + "\n")))
                        .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                }
            }
    }

    private func splice(_ context: ChannelHandlerContext, with local: any Channel) {
        guard context.channel.isActive, settings.channels.add(local) else {
            local.close(promise: nil)
            return
        }
        let (remoteGlue, localGlue) = TunnelGlueHandler.pair()
        do {
            try local.pipeline.syncOperations.addHandler(localGlue)
            try context.pipeline.syncOperations.addHandler(remoteGlue)
        } catch {
            local.close(promise: nil)
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: TunnelHeader.accepted + "\n")), promise: nil)
        // Through the glue, so that the QEMU side is closed only after these bytes too.
        if let early { remoteGlue.forward(early) }
        early = nil
        if inputEnded { remoteGlue.forwardInputClosed() }
        let channel = context.channel
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        try? local.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
    }
}

@available(*, unavailable)
extension TunnelTokenHandler: Sendable {}
