import FlotillaCore
import Foundation
import NIOCore
import NIOPosix

/// One long-lived connection to a QMP monitor that is only listened to: the VM's events monitor
/// (`events.sock`). Unlike ``QMPClient``'s short command sessions it stays open for the life of the QEMU
/// run, on NIO (no thread waits for it), and reads newline-delimited messages of at most ``lineLimit`` bytes.
enum QMPEventConnection {
    /// The longest QMP message accepted on an events monitor.
    static let lineLimit = 1 << 20

    /// Connects to the monitor at `socketPath`, reads the greeting and leaves negotiation mode within
    /// `timeout`, calls `onReady`, then calls `onEvent` for every event, in order, until QEMU closes the connection (it then
    /// returns) or the task is cancelled (it then returns too; the connection is closed either way). Throws
    /// ``QMPError`` when the connection or the handshake fails, or a message is too long.
    static func follow(
        socketPath: String, timeout: Duration, lineLimit: Int = lineLimit, onReady: () -> Void = {},
        onEvent: (QMPEvent) async -> Void
    ) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder(limit: lineLimit)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw QMPError.connect(socketPath, "\(error)")
        }
        // The handshake has a deadline: past it the channel is closed, which ends the reads below.
        let deadline = channel.channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        let started = ContinuousClock.now
        try await channel.executeThenClose { inbound, outbound in
            var lines = inbound.makeAsyncIterator()
            func next() async throws -> [String: JSONValue]? {
                do {
                    guard let line = try await lines.next() else { return nil }
                    let value = try JSONDecoder().decode(JSONValue.self, from: Data(line.readableBytesView))
                    guard case .object(let fields) = value else { throw QMPError.protocolError("not an object: \(value)") }
                    return fields
                } catch let error as QMPError {
                    throw error
                } catch is CancellationError {
                    return nil
                } catch let error as DecodingError {
                    throw QMPError.protocolError("invalid JSON from QEMU: \(error)")
                } catch {
                    throw QMPError.closed("\(error)")
                }
            }
            func handshakeEnded() -> QMPError {
                ContinuousClock.now - started >= timeout ? .timeout : .closed("QEMU closed the events monitor during the handshake")
            }
            guard let greeting = try await next() else {
                if Task.isCancelled { return }
                throw handshakeEnded()
            }
            guard greeting["QMP"] != nil else { throw QMPError.protocolError("expected the QMP greeting, got \(greeting)") }
            try await outbound.write(ByteBuffer(string: #"{"execute": "qmp_capabilities", "id": 1}"# + "\n"))
            while true {
                guard let reply = try await next() else {
                    if Task.isCancelled { return }
                    throw handshakeEnded()
                }
                if reply["id"] == .int(1) {
                    guard reply["return"] != nil else { throw QMPError.protocolError("qmp_capabilities refused: \(reply)") }
                    break
                }
            }
            deadline.cancel()
            onReady()
            while let message = try await next() {
                if case .string(let name)? = message["event"] { await onEvent(QMPEvent(name: name, data: message["data"])) }
            }
        }
    }

    /// Cuts the byte stream into lines (without `\n`, `\r` kept for the JSON decoder to skip), refusing any
    /// longer than `limit`.
    struct LineDecoder: ByteToMessageDecoder {
        typealias InboundOut = ByteBuffer
        let limit: Int

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                if buffer.readableBytes > limit { throw QMPError.protocolError("a QMP message is longer than \(limit) bytes") }
                return .needMoreData
            }
            let length = newline - buffer.readerIndex
            guard length <= limit else { throw QMPError.protocolError("a QMP message is longer than \(limit) bytes") }
            guard let line = buffer.readSlice(length: length) else {
                preconditionFailure("the newline was found within the readable bytes")
            }
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) {
                context.fireChannelRead(Self.wrapInboundOut(line))
            }
            return .continue
        }

        mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
            while try decode(context: context, buffer: &buffer) == .continue {}
            return .needMoreData
        }
    }
}
