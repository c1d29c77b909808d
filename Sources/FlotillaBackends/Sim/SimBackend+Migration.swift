import FlotillaCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Simulated live migration (docs/decisions/0027-live-migration.md). Nothing of a guest moves: the sim sends its
/// instance's simulated state (its state and the last lines of its log) as one JSON line over a real TCP connection,
/// so a destination that is gone makes a migration fail for real. The figures it reports are the sim's own timings
/// of that exchange, not a hypervisor's.
///
/// - destination: ``prepareIncoming(_:listenHost:sharedStorage:)`` creates the instance (as ``create(_:)``) and listens on
///   `listenHost:0` for one connection that opens with the token;
/// - source: ``migrateOut(id:to:timeout:)`` connects, sends the token and the state, and waits for `ok`; then its
///   copy is ended (stopped, kept until deleted);
/// - destination: ``completeIncoming(id:timeout:)`` waits for the state, applies it (the instance runs) and closes
///   the listener; ``abortIncoming(id:)`` closes it and removes the instance.
extension SimBackend: LiveMigrating {
    /// The longest line of a simulated migration.
    static let migrationLineLimit = 256 * 1024

    /// (A simulated instance has no disks: `sharedStorage` is never anything but nil here.)
    public func prepareIncoming(_ request: BackendCreateRequest, listenHost: String, sharedStorage: String?) async throws
        -> IncomingMigration
    {
        try await create(request)
        let token = UUID().uuidString.lowercased()
        let pending = SimIncoming(token: token)
        do {
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(QMPEventConnection.LineDecoder(limit: Self.migrationLineLimit)))
                        try channel.pipeline.syncOperations.addHandler(SimIncomingHandler(incoming: pending))
                    }
                }
                .bind(host: listenHost, port: 0).get()
            pending.listener.withLock { $0 = server }
            guard let port = server.localAddress?.port else {
                try? await server.close()
                throw BackendError.failed("the simulated migration listener has no port")
            }
            SimIncoming.table.withLock { $0[Self.incomingKey(self, request.id)] = pending }
            let host = listenHost.contains(":") ? "[\(listenHost)]" : listenHost
            logger.debug("sim incoming migration prepared", metadata: ["id": "\(request.id)", "port": "\(port)"])
            return IncomingMigration(
                instanceId: request.id, migrationAddress: "\(host):\(port)", diskAddress: nil, disks: [], token: token)
        } catch {
            instances[request.id] = nil
            throw error as? BackendError ?? BackendError.failed("could not listen for the migration on \(listenHost): \(error)")
        }
    }

    public func migrateOut(id: String, to incoming: IncomingMigration, timeout: Duration) async throws -> MigrationFigures {
        let instance = try existing(id)
        guard instance.isRunning else {
            throw BackendError.invalidRequest("instance \(id) is \(instance.state.rawValue); only a running instance migrates live")
        }
        let state = SimMigrationState(state: instance.state.rawValue, history: Array(instance.history.suffix(100)))
        let line = try JSONEncoder().encode(SimMigrationMessage(token: incoming.token, state: state))
        let started = ContinuousClock.now
        let answer: String
        do {
            answer = try await Self.send(line, to: incoming.migrationAddress, timeout: timeout)
        } catch {
            throw BackendError.failed("the simulated migration to \(incoming.migrationAddress) failed: \(error)")
        }
        guard answer == "ok" else {
            throw BackendError.failed("the destination refused the simulated migration: \(answer.prefix(200))")
        }
        let total = ContinuousClock.now - started
        // The source copy is paused, not ended: the cluster deletes it once the registry names the destination, or
        // resumes it when the move does not complete.
        guard var paused = instances[id] else { throw BackendError.notFound(id) }
        paused.state = .paused
        paused.record("simulated: migrated out, paused until the move completes")
        instances[id] = paused
        let ms = Int64(total.components.seconds * 1000 + total.components.attoseconds / 1_000_000_000_000_000)
        logger.debug("sim instance migrated out", metadata: ["id": "\(id)", "ms": "\(ms)"])
        return MigrationFigures(totalMilliseconds: ms, downtimeMilliseconds: ms, memoryBytes: Int64(line.count))
    }

    public func resumeMigratedOut(id: String) async throws {
        guard var instance = instances[id] else { throw BackendError.notFound(id) }
        guard instance.state == .paused else {
            throw BackendError.invalidRequest("instance \(id) is \(instance.state.rawValue), not paused by a migration")
        }
        instance.state = .running
        instance.record("simulated: resumed here, the move did not complete")
        instances[id] = instance
    }

    public func sharedStorage(id: String) async -> String? { nil }

    public func activateIncoming(id: String) async {}

    public func completeIncoming(id: String, timeout: Duration) async throws {
        let key = Self.incomingKey(self, id)
        guard let pending = SimIncoming.table.withLock({ $0[key] }) else {
            throw BackendError.notFound(id)
        }
        let clock = ContinuousClock()
        let end = clock.now + timeout
        var received = pending.received.withLock { $0 }
        while received == nil, clock.now < end {
            try await Task.sleep(for: .milliseconds(20))
            received = pending.received.withLock { $0 }
        }
        guard let received else {
            throw BackendError.failed("no migration arrived for instance \(id) within \(timeout)")
        }
        guard var instance = instances[id] else { throw BackendError.notFound(id) }
        instance.history = received.history
        instance.state = received.state == ObservedInstance.State.paused.rawValue ? .paused : .running
        instance.meter.started(random: &instance.random)
        instances[id] = instance
        SimIncoming.table.withLock { _ = $0.removeValue(forKey: key) }
        await pending.close()
        logger.debug("sim incoming migration completed", metadata: ["id": "\(id)"])
    }

    public func abortIncoming(id: String) async {
        let pending = SimIncoming.table.withLock { $0.removeValue(forKey: Self.incomingKey(self, id)) }
        await pending?.close()
        instances[id] = nil
        logger.debug("sim incoming migration aborted", metadata: ["id": "\(id)"])
    }

    public func incomingInstances() async -> [String] {
        let prefix = Self.incomingKey(self, "")
        return SimIncoming.table.withLock { table in
            table.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    // MARK: Helpers

    /// The key of `id`'s incoming migration into `backend` in ``SimIncoming/table``.
    private static func incomingKey(_ backend: SimBackend, _ id: String) -> String {
        "\(UInt(bitPattern: ObjectIdentifier(backend).hashValue))|\(id)"
    }

    /// Connects to `address` (`host:port`), sends `line` and returns the one line answered, within `timeout`.
    private static func send(_ line: Data, to address: String, timeout: Duration) async throws -> String {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw BackendError.invalidRequest("not a host:port address: \(address)")
        }
        let host = address[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(QMPEventConnection.LineDecoder(limit: Self.migrationLineLimit)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        // Past the deadline the channel is closed, which ends the read below.
        let deadline = channel.channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var buffer = ByteBuffer(bytes: line)
            buffer.writeString("\n")
            try await outbound.write(buffer)
            var lines = inbound.makeAsyncIterator()
            guard let answer = try await lines.next() else {
                throw BackendError.failed("the destination closed the connection without an answer")
            }
            return String(buffer: answer)
        }
    }
}

/// The state one simulated migration carries.
struct SimMigrationState: Codable, Sendable {
    var state: String
    var history: [String]
}

/// The one line a source sends: the token first, then the state.
struct SimMigrationMessage: Codable, Sendable {
    var token: String
    var state: SimMigrationState
}

/// One prepared incoming simulated migration: its token, its listener and what arrived.
final class SimIncoming: Sendable {
    /// Every prepared incoming migration of this process's sim backends, by backend and instance id. A table beside
    /// the backend (not a stored property of it) keeps the simulation's migration in this one file; entries are
    /// removed by complete and abort.
    static let table = Mutex<[String: SimIncoming]>([:])

    let token: String
    let listener = Mutex<(any Channel)?>(nil)
    let received = Mutex<SimMigrationState?>(nil)

    init(token: String) { self.token = token }

    /// Takes the state when `message` opens with the token and none came yet.
    func accept(_ message: SimMigrationMessage) -> Bool {
        guard message.token == token else { return false }
        return received.withLock { current in
            guard current == nil else { return false }
            current = message.state
            return true
        }
    }

    /// Closes the listener (idempotent).
    func close() async {
        let channel = listener.withLock { c in
            defer { c = nil }
            return c
        }
        try? await channel?.close()
    }
}

/// Reads the source's one line on an incoming connection: answers `ok` and closes when it carries the token (the
/// state is kept), else closes unanswered.
final class SimIncomingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let incoming: SimIncoming

    init(incoming: SimIncoming) { self.incoming = incoming }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        let channel = context.channel
        guard let message = try? JSONDecoder().decode(SimMigrationMessage.self, from: Data(line.readableBytesView)),
            incoming.accept(message)
        else {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "ok\n"))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
