import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The source's handler on each connection its QEMU opens to the dialer's unix socket: connects to the destination,
/// has ``TunnelAnswerHandler`` exchange the token, then splices the two (``TunnelGlueHandler``) and leaves the
/// pipeline. QEMU's bytes are not read before the splice (the channel starts with `autoRead` off), except when its
/// input ends: NIO then drains it, and those bytes and the end are kept and passed on once spliced. Any failure
/// closes QEMU's connection, and is logged and recorded (``TunnelChannels/lastFailure``).
final class TunnelDialHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    struct Settings: Sendable {
        var host: String
        var port: Int
        var address: String
        var token: String
        var tls: NIOSSLContext?
        var connectTimeout: Duration
        var answerTimeout: Duration
        var channels: TunnelChannels
        var logger: Logger
    }

    private let settings: Settings
    private var started = false
    private var remote: (any Channel)?
    /// QEMU's bytes and end of input that arrived before the splice.
    private var early = ByteBuffer()
    private var inputEnded = false

    init(_ settings: Settings) {
        self.settings = settings
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { dial(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        dial(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        remote?.close(promise: nil)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard early.readableBytes + buffer.readableBytes <= TunnelHeader.earlyLimit else {
            fail(context, .peerClosed(address: settings.address, reason: "more than \(TunnelHeader.earlyLimit) bytes before the splice"))
            return
        }
        early.writeBuffer(&buffer)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputEnded = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func dial(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        let settings = settings
        let serverHostname = settings.host.isIPAddress ? nil : settings.host
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls = settings.tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(TunnelAnswerHandler())
                }
            }
            .connect(host: settings.host, port: settings.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let remote): self.exchangeToken(context, remote: remote)
                case .failure(let error): self.fail(context, .refused(address: settings.address, reason: "\(error)"))
                }
            }
    }

    private func exchangeToken(_ context: ChannelHandlerContext, remote: any Channel) {
        guard context.channel.isActive, settings.channels.add(remote) else {
            remote.close(promise: nil)
            return
        }
        self.remote = remote
        guard let answer = try? remote.pipeline.syncOperations.handler(type: TunnelAnswerHandler.self) else {
            fail(context, .peerClosed(address: settings.address, reason: "closed before the token was sent"))
            return
        }
        answer.start(token: settings.token, timeout: settings.answerTimeout, address: settings.address) { result in
            switch result {
            case .success(let rest): self.splice(context, remote: remote, answer: answer, rest: rest)
            case .failure(let error): self.fail(context, error)
            }
        }
    }

    private func splice(_ context: ChannelHandlerContext, remote: any Channel, answer: TunnelAnswerHandler, rest: ByteBuffer) {
        guard context.channel.isActive else {
            remote.close(promise: nil)
            return
        }
        let (localGlue, remoteGlue) = TunnelGlueHandler.pair()
        do {
            try context.pipeline.syncOperations.addHandler(localGlue)
            try remote.pipeline.syncOperations.addHandler(remoteGlue)
            remote.pipeline.syncOperations.removeHandler(answer, promise: nil)
        } catch {
            fail(context, .peerClosed(address: settings.address, reason: "cannot splice: \(error)"))
            return
        }
        // Through the glue, so that a side is closed only after these bytes too.
        remoteGlue.forward(rest)
        localGlue.forward(early)
        early = ByteBuffer()
        if inputEnded { localGlue.forwardInputClosed() }
        let channel = context.channel
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        try? remote.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
    }

    private func fail(_ context: ChannelHandlerContext, _ error: MigrationTunnelError) {
        settings.logger.warning("migration tunnel cannot open", metadata: ["error": "\(error)"])
        settings.channels.record(error)
        remote?.close(promise: nil)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension TunnelDialHandler: Sendable {}

extension String {
    /// Whether this is an IPv4 or IPv6 address (not a name): TLS then checks it against the certificate's IP names.
    fileprivate var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}
