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
            // Generous caps: the wrong token is refused at once, the silent connection after the 1 s token deadline.
            try await eventually("the wrong token's connection is closed", timeout: .seconds(10)) { wrong.isClosedByPeer }
            try await eventually("the silent connection is closed", timeout: .seconds(10)) { silent.isClosedByPeer }
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
                let destination = try fixture.issue("h2")
                let source = try fixture.issue("h1")
                let rogue = try fixture.other("rogue").issue("h3")
                var server = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try TLSFiles.certificates(destination.certificate, what: "certificate").map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: destination.key, format: .pem)))
                server.trustRoots = .certificates(try TLSFiles.certificates(fixture.caFile, what: "CA"))
                let tls = MigrationTunnelTLS(
                    server: server, client: try fixture.client(presenting: source), requirePeerCertificate: true)
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

    /// Writes `payload`, closes the writing side, and returns everything read until the other side closed (within
    /// 60 s, and at most twice the payload).
    static func exchange(path: String, payload: [UInt8]) async throws -> [UInt8] {
        let channel = try await connect(path: path)
        return try await StoreContract.withDeadline(seconds: 60, "an exchange through the tunnel") {
            try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                    group.addTask {
                        var received: [UInt8] = []
                        do {
                            for try await buffer in inbound {
                                received += buffer.readableBytesView
                                guard received.count <= 2 * payload.count + 1024 else { break }
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
