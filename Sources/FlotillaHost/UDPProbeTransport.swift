import FlotillaCluster
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Peer probes over UDP (docs/decisions/0035-peer-probes.md): one socket, bound before the host registers so that its
/// heartbeat carries where it answers. Sending never waits; a datagram that cannot be sent is a missed answer.
public final class UDPProbeTransport: ProbeTransport {
    private let channel: any Channel
    /// The receiver, in a class: a closure read out of a generic `Mutex` is wrapped in a new reabstraction thunk at
    /// every read, which cost more than the rest of a probe's handling.
    private let receiver: Mutex<Receiver?>
    public let address: String
    /// Resolved peer addresses, so that a ping does not parse its target's address every time.
    private let resolved = Mutex<[String: SocketAddress]>([:])

    /// Binds `host:port` (port 0: any free one); peers are told `advertisedHost` and the bound port.
    public static func bind(host: String, port: Int, advertisedHost: String) async throws -> UDPProbeTransport {
        let box = HandlerBox()
        // No SO_REUSEADDR: on Linux it lets two UDP sockets share a port (even one the kernel picked for port 0), and
        // one of them would then never hear its pings.
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.pipeline.addHandler(Inbound(box: box)) }
            .bind(host: host, port: port).get()
        let bound = channel.localAddress?.port ?? port
        let transport = UDPProbeTransport(channel: channel, address: Self.join(advertisedHost, bound))
        box.transport.withLock { $0 = transport }
        return transport
    }

    private init(channel: any Channel, address: String) {
        self.channel = channel
        self.address = address
        self.receiver = Mutex(nil)
    }

    public func send(_ bytes: [UInt8], to address: String) {
        guard let remote = resolve(address) else { return }
        let envelope = AddressedEnvelope(remoteAddress: remote, data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(envelope, promise: nil)
    }

    public func receive(_ handler: @escaping @Sendable ([UInt8], String) -> Void) {
        let receiver = Receiver(handler)
        self.receiver.withLock { $0 = receiver }
    }

    public func close() async {
        receiver.withLock { $0 = nil }
        try? await channel.close()
    }

    fileprivate func deliver(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard envelope.data.readableBytes <= ProbeDatagram.maxSize, let port = envelope.remoteAddress.port,
            let ip = envelope.remoteAddress.ipAddress, let receiver = receiver.withLock({ $0 })
        else { return }
        receiver.handler(Array(envelope.data.readableBytesView), Self.join(ip, port))
    }

    private func resolve(_ address: String) -> SocketAddress? {
        if let known = resolved.withLock({ $0[address] }) { return known }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        let host = address[..<colon].trimmingCharacters(in: ["[", "]"])
        let socket = (try? SocketAddress(ipAddress: host, port: port)) ?? (try? SocketAddress.makeAddressResolvingHost(host, port: port))
        guard let socket else { return nil }
        resolved.withLock { $0[address] = socket }
        return socket
    }

    /// `host:port`, with an IPv6 host in brackets.
    static func join(_ host: String, _ port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private final class Receiver: Sendable {
        let handler: @Sendable ([UInt8], String) -> Void
        init(_ handler: @escaping @Sendable ([UInt8], String) -> Void) { self.handler = handler }
    }

    /// The transport, once bound, for the channel's handler (which exists before it).
    private final class HandlerBox: Sendable {
        let transport = Mutex<UDPProbeTransport?>(nil)
    }

    private final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: HandlerBox
        init(box: HandlerBox) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            box.transport.withLock { $0 }?.deliver(unwrapInboundIn(data))
        }
    }
}
