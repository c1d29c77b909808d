import NIOCore
import NIOPosix
import Synchronization

/// One raw connection of the flood benchmark, opened from a chosen loopback address, and when it was opened
/// and (by the server) closed.
final class FloodSocket: Sendable {
    let channel: any Channel
    let opened: ContinuousClock.Instant
    private let closedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let trickle = Mutex<RepeatedTask?>(nil)

    private init(channel: any Channel, opened: ContinuousClock.Instant) {
        self.channel = channel
        self.opened = opened
        channel.closeFuture.whenComplete { [self] _ in closedAt.withLock { $0 = .now } }
    }

    /// When the connection closed; nil while it is open.
    var closed: ContinuousClock.Instant? { closedAt.withLock { $0 } }

    /// Opens `count` connections to `127.0.0.1:port`, spread evenly over `sources`, at most 64 connects at a time.
    static func open(_ count: Int, from sources: [String], port: Int) async throws -> [FloodSocket] {
        try await withThrowingTaskGroup(of: FloodSocket.self) { tasks in
            var opened: [FloodSocket] = []
            var next = 0
            func add() {
                let source = sources[next % sources.count]
                next += 1
                tasks.addTask {
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connectTimeout(.seconds(10))
                        .bind(to: try SocketAddress(ipAddress: source, port: 0))
                        .connect(host: "127.0.0.1", port: port).get()
                    return FloodSocket(channel: channel, opened: .now)
                }
            }
            for _ in 0..<min(64, count) { add() }
            while let socket = try await tasks.next() {
                opened.append(socket)
                if next < count { add() }
            }
            return opened
        }
    }

    /// Sends `head`, then `chunk` bytes of body every second until ``stop()``.
    func startUpload(head: String, chunk: Int) {
        channel.writeAndFlush(ByteBuffer(string: head), promise: nil)
        let body = ByteBuffer(repeating: UInt8(ascii: " "), count: chunk)
        let channel = self.channel
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            channel.writeAndFlush(body, promise: nil)
        }
        trickle.withLock { $0 = task }
    }

    /// Stops any upload and closes the connection.
    func stop() {
        trickle.withLock { $0?.cancel() }
        channel.close(promise: nil)
    }
}
