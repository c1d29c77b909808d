import FlotillaCore
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization

/// Lease renewals on etcd's native API: each lease has its own long-lived gRPC `etcdserverpb.Lease/LeaseKeepAlive`
/// stream, and every renewal is one small message on it, as etcd's own client renews (ADR 0034). A lease has a
/// stream of its own because etcd answers a stream's renewals one after the other, and the renewal of a lease that
/// just expired waits until etcd has revoked it: on a shared stream that would hold up every other lease's renewal.
/// The streams share one HTTP/2 connection to the configured endpoint whose member leads (a follower would forward
/// each renewal to the leader; ``EtcdLeaseTarget``); the connection is opened again, on the member leading then, when it
/// fails, an answer shows a new term, or a stream fails and the member it runs to no longer leads or answers.
final class EtcdLeaseStream: Sendable {
    /// Where to connect: the host and port of the configured endpoint whose member leads.
    typealias Locate = @Sendable () async throws -> (host: String, port: Int)

    private struct Waiter {
        let token: Int
        let continuation: CheckedContinuation<Int64, any Error>
    }
    /// One lease's stream: its outgoing renewals and the renewals waiting for an answer, oldest first.
    private struct LeaseState {
        var requests: AsyncStream<Void>.Continuation
        var waiting: [Waiter] = []
    }
    /// The connection the streams share (nil until first needed or after it failed).
    private struct Connection {
        let client: GRPCClient<HTTP2ClientTransport.Posix>
        let id: Int
        let host: String
        let port: Int
    }
    private struct State {
        var connection: Connection?
        var connecting: Task<Connection, any Error>?
        var leases: [Int64: LeaseState] = [:]
        var nextToken = 0
        var closed = false
        /// The connection whose member is being checked after a stream on it failed (one check at a time).
        var checking: Int?
        var tasks: [Int: Task<Void, Never>] = [:]
    }
    private let state = Mutex(State())
    private let locate: Locate
    private let security: HTTP2ClientTransport.Posix.TransportSecurity
    private let logger: Logger
    private static let descriptor = MethodDescriptor(fullyQualifiedService: "etcdserverpb.Lease", method: "LeaseKeepAlive")
    /// Reconnects within a second at most: a renewal connection that backs off as grpc-swift does by default (up to two
    /// minutes) would stay down long after its member came back, and the leases on it would expire.
    private static let transportConfig = HTTP2ClientTransport.Posix.Config.defaults { config in
        config.backoff = .init(initial: .milliseconds(200), max: .seconds(1), multiplier: 1.6, jitter: 0.2)
    }

    init(locate: @escaping Locate, security: HTTP2ClientTransport.Posix.TransportSecurity, logger: Logger) {
        self.locate = locate
        self.security = security
        self.logger = logger
    }

    /// Renews `lease` once; returns its TTL in seconds as etcd answered (0 or less: the lease is gone). Fails with
    /// ``StoreError/unavailable(_:)`` when the stream or connection fails before the answer; the caller's deadline
    /// bounds the wait.
    func renew(_ lease: Int64) async throws -> Int64 {
        let connection = try await connect()
        let token = state.withLock { s in
            s.nextToken += 1
            return s.nextToken
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, any Error>) in
                let send: AsyncStream<Void>.Continuation? = state.withLock { s in
                    if s.closed {
                        continuation.resume(throwing: StoreError.unavailable("the etcd client is closed"))
                        return nil
                    }
                    if s.leases[lease] == nil {
                        let (requests, sink) = AsyncStream<Void>.makeStream(bufferingPolicy: .unbounded)
                        s.leases[lease] = LeaseState(requests: sink)
                        let id = s.nextToken
                        s.tasks[id] = Task {
                            await self.drive(lease, requests, on: connection)
                            _ = self.state.withLock { $0.tasks.removeValue(forKey: id) }
                        }
                    }
                    s.leases[lease]?.waiting.append(Waiter(token: token, continuation: continuation))
                    return s.leases[lease]?.requests
                }
                send?.yield()
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                guard let index = s.leases[lease]?.waiting.firstIndex(where: { $0.token == token }) else { return nil }
                return s.leases[lease]?.waiting.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Ends every stream and the connection; renewals waiting fail, later ones fail at once.
    func close() async {
        let (connection, connecting, tasks) = state.withLock { s in
            s.closed = true
            for lease in s.leases.values { lease.requests.finish() }
            defer { s.connection = nil }
            return (s.connection, s.connecting, Array(s.tasks.values))
        }
        connecting?.cancel()
        connection?.client.beginGracefulShutdown()
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// The shared connection, opened on the leading member when there is none.
    private func connect() async throws -> Connection {
        let pending: Task<Connection, any Error> = try state.withLock { s in
            if s.closed { throw StoreError.unavailable("the etcd client is closed") }
            if let connection = s.connection { return Task { connection } }
            if let connecting = s.connecting { return connecting }
            let id = s.nextToken + 1
            s.nextToken = id
            let task = Task { try await self.open(id: id) }
            s.connecting = task
            return task
        }
        return try await pending.value
    }

    private func open(id: Int) async throws -> Connection {
        defer { state.withLock { $0.connecting = nil } }
        let (host, port) = try await locate()
        // An address as such (no name to send as TLS SNI, which must not be an IP address), else a name.
        let target: any ResolvableTarget =
            if host.contains(":") {
                .ipv6(address: host, port: port)
            } else if host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." }) {
                .ipv4(address: host, port: port)
            } else {
                .dns(host: host, port: port)
            }
        let client = GRPCClient(
            transport: try HTTP2ClientTransport.Posix(target: target, transportSecurity: security, config: Self.transportConfig))
        let connection = Connection(client: client, id: id, host: host, port: port)
        let running = Task {
            do { try await client.runConnections() } catch {
                self.logger.debug("etcd lease connection ended", metadata: ["error": "\(error)"])
            }
            self.drop(connection)
        }
        let stored = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.connection = connection
            s.tasks[id] = running
            return true
        }
        if !stored {
            client.beginGracefulShutdown()
            throw StoreError.unavailable("the etcd client is closed")
        }
        return connection
    }

    /// Forgets `connection` (it ended, or its member no longer leads) and shuts it down: its streams end.
    private func drop(_ connection: Connection) {
        let current = state.withLock { s -> Bool in
            guard s.connection?.id == connection.id else { return false }
            s.connection = nil
            return true
        }
        if current {
            logger.debug("etcd lease connection dropped", metadata: ["connection": "\(connection.id)"])
            connection.client.beginGracefulShutdown()
        }
    }

    /// Runs `lease`'s stream until it fails or ends; then fails what still waits on it, so that the lease's next
    /// renewal opens a new stream (on a new connection when this one is gone).
    private func drive(_ lease: Int64, _ requests: AsyncStream<Void>, on connection: Connection) async {
        let failure: String
        do {
            failure = try await connection.client.bidirectionalStreaming(
                request: StreamingClientRequest(producer: { writer in
                    for await _ in requests { try await writer.write(lease) }
                }),
                descriptor: Self.descriptor, serializer: EtcdLeaseMessages.RequestSerializer(),
                deserializer: EtcdLeaseMessages.AnswerDeserializer(), options: .defaults
            ) { response in
                var term: UInt64?
                for try await answer in response.messages {
                    self.deliver(answer)
                    if let term, answer.raftTerm != 0, answer.raftTerm != term {
                        self.drop(connection)
                        return "a new etcd leader"
                    }
                    term = term ?? (answer.raftTerm == 0 ? nil : answer.raftTerm)
                }
                return "the lease stream ended"
            }
        } catch {
            // The connection is not dropped for one stream's failure (that would fail every other lease's renewal
            // with it), only when its member no longer leads or cannot be reached.
            failure = "the lease stream failed: \(error)"
            recheck(connection)
        }
        let waiting = state.withLock { s -> [Waiter] in
            guard let ended = s.leases.removeValue(forKey: lease) else { return [] }
            ended.requests.finish()
            return ended.waiting
        }
        for waiter in waiting { waiter.continuation.resume(throwing: StoreError.unavailable("etcd: \(failure)")) }
    }

    /// A stream on `connection` failed: asks the cluster which member leads and drops the connection when that is
    /// another member or no member answers, so that the next renewal opens a connection on the member leading now.
    private func recheck(_ connection: Connection) {
        state.withLock { s in
            guard !s.closed, s.connection?.id == connection.id, s.checking == nil else { return }
            s.checking = connection.id
            s.nextToken += 1
            let id = s.nextToken
            s.tasks[id] = Task {
                let leader = try? await self.locate()
                self.state.withLock { s in
                    s.checking = nil
                    s.tasks.removeValue(forKey: id)
                }
                if leader?.host != connection.host || leader?.port != connection.port { self.drop(connection) }
            }
        }
    }

    /// Hands an answer to its lease's oldest waiting renewal.
    private func deliver(_ answer: EtcdLeaseMessages.Answer) {
        let waiter = state.withLock { s -> Waiter? in
            guard s.leases[answer.id]?.waiting.isEmpty == false else { return nil }
            return s.leases[answer.id]?.waiting.removeFirst()
        }
        waiter?.continuation.resume(returning: answer.ttl)
    }
}
