import FlotillaBackends
import FlotillaTLS
import FlotillaTestSupport
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

/// The live migration tunnel (docs/decisions/0027-live-migration.md): a unix echo server stands for the destination's
/// QEMU, the test's unix clients for the source's QEMU, and the bytes cross a real TCP listener on loopback.
@Suite("Migration tunnel")
struct MigrationTunnelTests {
    static let logger = Logger(label: "test.migration-tunnel")

    @Test("bytes written to the dialer's socket come back intact through the tunnel, on several connections at once")
    func splicesBothWays() async throws {
        try await TunnelScene.with { scene in
            let listener = try await scene.listener()
            let dialer = try await scene.dialer(to: listener.address)
            let payloads = (0..<4).map { index in TunnelScene.payload(size: (3 << 20) + index * 1000, seed: UInt8(index)) }
            // Each client half-closes after its payload and reads until the end: the echo server only closes its side
            // once the client's end of input reached it, so a full answer shows half-closure crossing both ways.
            let answers = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for (index, payload) in payloads.enumerated() {
                    group.addTask { (index, try await UnixClient.exchange(path: dialer.socketPath, payload: payload)) }
                }
                var answers: [Int: [UInt8]] = [:]
                for try await (index, answer) in group { answers[index] = answer }
                return answers
            }
            for (index, payload) in payloads.enumerated() {
                let answer = try #require(answers[index])
                #expect(answer.count == payload.count, "connection \(index)")
                #expect(answer == payload, "connection \(index): the bytes differ")
            }
            #expect(scene.echo.accepted == 4)
            try await eventually("every tunnel connection closed after both ends closed") {
                listener.openConnections == 0 && dialer.openConnections == 0
            }
            #expect(dialer.lastError == nil)
            await dialer.close()
            await listener.close()
        }
    }

    @Test("a connection with a wrong token, or none, is closed and nothing reaches the QEMU socket")
    func wrongOrMissingToken() async throws {
        try await TunnelScene.with { scene in
            let listener = try await scene.listener(tokenTimeout: .seconds(1))
            let wrong = try LoopbackSocket.connect(port: listener.port)
            defer { wrong.close() }
            try wrong.send("FLOTILLA-TUNNEL-1 not-the-token\nsome bytes that must not pass")
            let silent = try LoopbackSocket.connect(port: listener.port)
            defer { silent.close() }
            // Generous caps (a loaded machine starves the polling): the wrong token is refused at once, the silent
            // connection after the 1 s token deadline.
            try await eventually("the wrong token's connection is closed", timeout: .seconds(30)) { wrong.isClosedByPeer }
            try await eventually("the silent connection is closed", timeout: .seconds(30)) { silent.isClosedByPeer }
            // A dialer with a wrong token: its QEMU side ends with nothing, and it says why.
            let dialer = try await scene.dialer(to: listener.address, token: "stale-token")
            let answer = try await UnixClient.exchange(path: dialer.socketPath, payload: Array("hello".utf8))
            #expect(answer.isEmpty)
            #expect(dialer.lastError == .tokenRejected(address: listener.address))
            #expect(scene.echo.accepted == 0)
            #expect(scene.echo.received == 0)
            await dialer.close()
            await listener.close()
        }
    }

    @Test("a destination that refuses the connection ends QEMU's connection, and the dialer says it was refused")
    func refusedDestination() async throws {
        try await TunnelScene.with { scene in
            let closed = try await scene.listener()
            let address = closed.address
            await closed.close()
            let dialer = try await scene.dialer(to: address)
            let answer = try await UnixClient.exchange(path: dialer.socketPath, payload: Array("hello".utf8))
            #expect(answer.isEmpty)
            guard case .refused(let refused, _)? = dialer.lastError else {
                Issue.record("expected a refused connection, got \(String(describing: dialer.lastError))")
                return
            }
            #expect(refused == address)
            await dialer.close()
        }
    }

    @Test("with TLS: the right client certificate passes; none, or one of another CA, is refused before any byte passes")
    func mutualTLS() async throws {
        try await TLSFixture.with { fixture in
            try await TunnelScene.with { scene in
                let rogue = try fixture.other("rogue").issue("h3")
                let tls = try TunnelScene.mutualTLS(fixture)
                #expect(tls.isEncrypted)
                let listener = try await scene.listener(tls: tls.server)

                let trusted = try await scene.dialer(to: listener.address, tls: tls.client)
                let payload = TunnelScene.payload(size: 1 << 20, seed: 7)
                let answer = try await UnixClient.exchange(path: trusted.socketPath, payload: payload)
                #expect(answer.count == payload.count)
                #expect(answer == payload)
                #expect(trusted.lastError == nil)
                #expect(scene.echo.accepted == 1)

                for (name, client) in [
                    ("no certificate", try fixture.client()),
                    ("another CA's certificate", try TLSFiles.client(ca: fixture.caFile, certificate: rogue.certificate, key: rogue.key)),
                ] {
                    let dialer = try await scene.dialer(to: listener.address, tls: client, socket: name.filter(\.isLetter))
                    let answer = try await UnixClient.exchange(path: dialer.socketPath, payload: Array("hello".utf8))
                    #expect(answer.isEmpty, "\(name)")
                    guard case .tlsHandshakeFailed? = dialer.lastError else {
                        Issue.record("\(name): expected a failed TLS handshake, got \(String(describing: dialer.lastError))")
                        continue
                    }
                    await dialer.close()
                }
                #expect(scene.echo.accepted == 1, "only the trusted source reached the QEMU socket")
                await trusted.close()
                await listener.close()
            }
        }
    }

    @Test(
        "every byte crosses, in order, both ways at once, while each end reads slowly and the destination speaks first",
        arguments: [false, true])
    func everyByteUnderBackpressure(tls: Bool) async throws {
        if tls {
            try await TLSFixture.with { try await Self.everyByteUnderBackpressure(tls: try TunnelScene.mutualTLS($0)) }
        } else {
            try await Self.everyByteUnderBackpressure(tls: nil)
        }
    }

    private static func everyByteUnderBackpressure(tls config: MigrationTunnelTLS?) async throws {
        do {
            let directory = "/tmp/fltun-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let outgoing = TunnelScene.payload(size: 2 << 20, seed: 99)
            let peer = try await SlowPeerServer.start(path: directory + "/qemu.sock", outgoing: outgoing)
            do {
                let listener = try await MigrationTunnelListener.open(
                    host: "127.0.0.1", token: "slow-peer-token-0123456789", socketPath: peer.path, tls: config?.server,
                    logger: Self.logger)
                let dialer = try await MigrationTunnelDialer.open(
                    socketPath: directory + "/out.sock", to: listener.address, token: "slow-peer-token-0123456789",
                    tls: config?.client, logger: Self.logger)
                let payloads = (0..<3).map { index in TunnelScene.payload(size: (2 << 20) + index * 1000, seed: UInt8(index)) }
                // Each client reads one buffer per millisecond, the destination 16 KiB per millisecond: both directions
                // fill the tunnel's buffers, so every read waits for the other side's writes (backpressure), and each
                // end of input reaches the tunnel while writes are still pending behind it.
                let answers = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                    for payload in payloads {
                        group.addTask {
                            try await UnixClient.exchange(path: dialer.socketPath, payload: payload, readDelay: .milliseconds(1))
                        }
                    }
                    var answers: [[UInt8]] = []
                    for try await answer in group { answers.append(answer) }
                    return answers
                }
                for (index, answer) in answers.enumerated() {
                    #expect(answer.count == outgoing.count, "answer \(index): \(answer.count) of \(outgoing.count) bytes")
                    #expect(answer == outgoing, "answer \(index): the bytes differ")
                }
                // The destination ends its side only after its input ended: every stream it got is complete.
                let received = peer.received
                #expect(received.count == payloads.count)
                for payload in payloads {
                    let match = received.first { $0.count == payload.count }
                    #expect(match?.count == payload.count, "a stream of \(payload.count) bytes arrived whole")
                    #expect(match == payload, "the stream of \(payload.count) bytes arrived intact")
                }
                #expect(dialer.lastError == nil)
                await dialer.close()
                await listener.close()
            } catch {
                await peer.close()
                throw error
            }
            await peer.close()
        }
    }

    @Test("bytes and an end of input that arrive before the splice, at either end, still cross, the end after them")
    func inputEndedBeforeSplice() async throws {
        try await TunnelScene.with { scene in
            let listener = try await scene.listener()
            let dialer = try await scene.dialer(to: listener.address)
            // The source's QEMU: a short stream, ended the moment it connected, while the dialer still connects and
            // sends the token (NIO drains an input that ended even before the tunnel reads it).
            let payload = TunnelScene.payload(size: 1000, seed: 3)
            let answer = try await SendAndEndHandler.exchange(path: dialer.socketPath, payload: payload)
            #expect(answer == payload)
            // At the listener: the token, bytes and the end in one go, before it is connected to the QEMU socket.
            let source = try await UnixClient.connect(host: "127.0.0.1", port: listener.port)
            let raw = try await UnixClient.exchange(on: source, payload: Array("FLOTILLA-TUNNEL-1 \(scene.token)\n".utf8) + payload)
            #expect(raw == Array("OK\n".utf8) + payload)
            #expect(scene.echo.received == 2 * payload.count)
            await dialer.close()
            await listener.close()
        }
    }

    @Test("close() ends open connections, frees the port and removes the dialer's socket")
    func closeEndsConnections() async throws {
        try await TunnelScene.with { scene in
            let listener = try await scene.listener()
            let dialer = try await scene.dialer(to: listener.address)
            let open = try await UnixClient.connect(path: dialer.socketPath)
            try await open.executeThenClose { inbound, outbound in
                var reads = inbound.makeAsyncIterator()
                try await outbound.write(ByteBuffer(string: "ping"))
                let echoed = try await reads.next()
                #expect(echoed.map { String(buffer: $0) } == "ping")
                #expect(listener.openConnections == 2)
                await listener.close()
                // The peer sees the end (EOF or a reset) once close() returned.
                let after = try? await reads.next()
                #expect(after == nil)
            }
            #expect(throws: (any Error).self) { try LoopbackSocket.connect(port: listener.port, timeout: .seconds(2)) }
            await dialer.close()
            #expect(!FileManager.default.fileExists(atPath: dialer.socketPath))
            #expect(dialer.openConnections == 0)
        }
    }
}

/// A temporary folder with a unix echo server standing for the destination's QEMU; tunnels made through it are the
/// test's to close, the folder and the echo server are closed here, last in first out.
private struct TunnelScene {
    let directory: String
    let echo: UnixEchoServer
    let token = "0123456789abcdef-token"

    static func with(_ body: (TunnelScene) async throws -> Void) async throws {
        let directory = "/tmp/fltun-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let echo = try await UnixEchoServer.start(path: directory + "/qemu.sock")
        do {
            try await body(TunnelScene(directory: directory, echo: echo))
        } catch {
            await echo.close()
            throw error
        }
        await echo.close()
    }

    func listener(tls: TLSConfiguration? = nil, tokenTimeout: Duration = .seconds(10)) async throws -> MigrationTunnelListener {
        try await MigrationTunnelListener.open(
            host: "127.0.0.1", token: token, socketPath: echo.path, tls: tls, tokenTimeout: tokenTimeout,
            logger: MigrationTunnelTests.logger)
    }

    func dialer(
        to address: String, token: String? = nil, tls: TLSConfiguration? = nil, socket: String = "out"
    ) async throws -> MigrationTunnelDialer {
        try await MigrationTunnelDialer.open(
            socketPath: directory + "/\(socket).sock", to: address, token: token ?? self.token, tls: tls,
            logger: MigrationTunnelTests.logger)
    }

    /// The tunnel's TLS for the fixture's CA: the destination presents h2's certificate and requires the source's (h1).
    static func mutualTLS(_ fixture: TLSFixture) throws -> MigrationTunnelTLS {
        let destination = try fixture.issue("h2")
        let source = try fixture.issue("h1")
        var server = TLSConfiguration.makeServerConfiguration(
            certificateChain: try TLSFiles.certificates(destination.certificate, what: "certificate").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: destination.key, format: .pem)))
        server.trustRoots = .certificates(try TLSFiles.certificates(fixture.caFile, what: "CA"))
        return MigrationTunnelTLS(server: server, client: try fixture.client(presenting: source), requirePeerCertificate: true)
    }

    /// `size` bytes that differ from one offset to the next (a shifted or dropped chunk shows).
    static func payload(size: Int, seed: UInt8) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) ^ seed }
    }
}

/// Unix socket clients of the tunnel's dialer (standing for the source's QEMU).
enum UnixClient {
    static func connect(path: String) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }

    /// A TCP client (standing for a source talking to the listener directly).
    static func connect(host: String, port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
    }

    /// ``exchange(on:payload:readDelay:)`` on a new connection to the unix socket at `path`.
    static func exchange(path: String, payload: [UInt8], readDelay: Duration? = nil) async throws -> [UInt8] {
        try await exchange(on: try await connect(path: path), payload: payload, readDelay: readDelay)
    }

    /// Writes `payload`, closes the writing side, and returns everything read until the other side closed (within
    /// 60 s, and at most twice the payload), pausing `readDelay` after each buffer read when given.
    static func exchange(
        on channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, payload: [UInt8], readDelay: Duration? = nil
    ) async throws -> [UInt8] {
        try await StoreContract.withDeadline(seconds: 60, "an exchange through the tunnel") {
            try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                    group.addTask {
                        var received: [UInt8] = []
                        do {
                            for try await buffer in inbound {
                                received += buffer.readableBytesView
                                guard received.count <= 2 * payload.count + 1024 else { break }
                                if let readDelay { try await Task.sleep(for: readDelay) }
                            }
                        } catch let error as IOError where error.errnoCode == ECONNRESET {
                            // The tunnel closed the connection with the client's bytes unread: a reset ends it too.
                        }
                        return received
                    }
                    group.addTask {
                        var offset = 0
                        while offset < payload.count {
                            let end = min(offset + (64 << 10), payload.count)
                            do {
                                try await outbound.write(ByteBuffer(bytes: payload[offset..<end]))
                            } catch {
                                return nil  // the tunnel closed the connection: what came back tells
                            }
                            offset = end
                        }
                        outbound.finish()
                        return nil
                    }
                    var received: [UInt8] = []
                    for try await result in group { if let result { received = result } }
                    return received
                }
            }
        }
    }
}

/// A unix socket server that sends back every byte it receives, ends its side when the client ended its own, and
/// counts connections and bytes.
private final class UnixEchoServer: Sendable {
    let path: String
    private let server: any Channel
    private let tally: Tally

    private init(path: String, server: any Channel, tally: Tally) {
        self.path = path
        self.server = server
        self.tally = tally
    }

    var accepted: Int { tally.counts.accepted }
    var received: Int { tally.counts.received }

    static func start(path: String) async throws -> UnixEchoServer {
        let tally = Tally()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                tally.add(accepted: 1)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(tally: tally))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        return UnixEchoServer(path: path, server: server, tally: tally)
    }

    func close() async {
        try? await server.close()
    }
}

/// Connection and byte counts of the echo server, updated from its event loops.
private final class Tally: Sendable {
    private let state = Mutex((accepted: 0, received: 0))

    var counts: (accepted: Int, received: Int) { state.withLock { $0 } }

    func add(accepted: Int = 0, received: Int = 0) {
        state.withLock { state in
            state.accepted += accepted
            state.received += received
        }
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let tally: Tally
    private var lastWrite: EventLoopFuture<Void>?

    init(tally: Tally) { self.tally = tally }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        tally.add(received: buffer.readableBytes)
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(buffer), promise: promise)
        lastWrite = promise.futureResult
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Once the echo is written: NIO makes closing the output after the input ended a full close, which would
        // drop the writes still pending.
        guard case ChannelEvent.inputClosed = event else { return }
        let channel = context.channel
        context.flush()
        if let lastWrite {
            lastWrite.whenComplete { _ in channel.close(mode: .output, promise: nil) }
        } else {
            channel.close(mode: .output, promise: nil)
        }
    }
}

/// A unix socket server standing for a destination QEMU that speaks first and reads slowly: each connection is sent
/// `outgoing` at once, is read 16 KiB per millisecond, and is ended (its output closed) once its input ended and
/// `outgoing` is written. Keeps what each connection received.
private final class SlowPeerServer: Sendable {
    let path: String
    private let server: any Channel
    private let streams: SlowPeerStreams

    private init(path: String, server: any Channel, streams: SlowPeerStreams) {
        self.path = path
        self.server = server
        self.streams = streams
    }

    /// What each connection received, complete once the client saw its end.
    var received: [[UInt8]] { streams.streams.withLock { $0 } }

    static func start(path: String, outgoing: [UInt8]) async throws -> SlowPeerServer {
        let shared = SlowPeerStreams()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SlowPeerHandler(outgoing: outgoing, streams: shared))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        return SlowPeerServer(path: path, server: server, streams: shared)
    }

    func close() async {
        try? await server.close()
    }
}

/// The received streams of a ``SlowPeerServer``, filled from its event loops.
private final class SlowPeerStreams: Sendable {
    let streams = Mutex<[[UInt8]]>([])

    func open() -> Int {
        streams.withLock { streams in
            streams.append([])
            return streams.count - 1
        }
    }

    func append(_ slot: Int, _ buffer: ByteBuffer) {
        streams.withLock { $0[slot] += buffer.readableBytesView }
    }
}

private final class SlowPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let outgoing: [UInt8]
    private let streams: SlowPeerStreams
    private var slot = 0
    private var inputEnded = false
    private var written = false

    init(outgoing: [UInt8], streams: SlowPeerStreams) {
        self.outgoing = outgoing
        self.streams = streams
    }

    func channelActive(context: ChannelHandlerContext) {
        slot = streams.open()
        var offset = 0
        let last = context.eventLoop.makePromise(of: Void.self)
        while offset < outgoing.count {
            let end = min(offset + (64 << 10), outgoing.count)
            context.write(wrapOutboundOut(ByteBuffer(bytes: outgoing[offset..<end])), promise: end == outgoing.count ? last : nil)
            offset = end
        }
        context.flush()
        last.futureResult.assumeIsolated().whenComplete { _ in
            self.written = true
            self.endIfDone(context)
        }
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        streams.append(slot, unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) {
            if context.channel.isActive { context.read() }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else { return }
        inputEnded = true
        endIfDone(context)
    }

    /// Ends this side once everything was read and written (NIO makes it a full close: the input ended).
    private func endIfDone(_ context: ChannelHandlerContext) {
        guard inputEnded, written else { return }
        context.close(mode: .output, promise: nil)
    }
}

/// A unix client that sends its payload and ends its side the moment it is connected (before a tunnel can be
/// spliced), then keeps what comes back until the other side ends.
private final class SendAndEndHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let payload: [UInt8]
    private let done: EventLoopPromise<[UInt8]>
    private var received: [UInt8] = []
    private var finished = false

    init(payload: [UInt8], done: EventLoopPromise<[UInt8]>) {
        self.payload = payload
        self.done = done
    }

    /// Connects to `path`, sends `payload`, ends, and returns what came back until the end, or until 30 s passed
    /// (the connection is then closed, and what came back so far returned).
    static func exchange(path: String, payload: [UInt8]) async throws -> [UInt8] {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SendAndEndHandler(payload: payload, done: done))
                }
            }
            .connect(unixDomainSocketPath: path).get()
        let deadline = loop.scheduleTask(in: .seconds(30)) { channel.close(promise: nil) }
        let received = try await done.futureResult.get()
        deadline.cancel()
        try? await channel.close()
        return received
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: payload)), promise: nil)
        context.close(mode: .output, promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytesView
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { finish() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(received)
    }
}
