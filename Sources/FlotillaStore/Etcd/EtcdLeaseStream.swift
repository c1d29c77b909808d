import FlotillaCore
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization

/// Lease renewals on etcd's native API: one long-lived gRPC `etcdserverpb.Lease/LeaseKeepAlive` stream per store
/// client, opened on first use to the member that leads (a follower would forward each renewal to the leader), on
/// which every renewal of this client is one small message, as etcd's own client renews (ADR 0034). The stream is
/// opened again, on the member leading then, when it fails or when an answer shows a new Raft term.
final class EtcdLeaseStream: Sendable {
    /// Where to open the stream: the leading member's host and port.
    typealias Locate = @Sendable () async throws -> (host: String, port: Int)

    private struct Waiter {
        let token: Int
        let continuation: CheckedContinuation<Int64, any Error>
    }
    private struct State {
        var requests: AsyncStream<Int64>.Continuation?
        var driver: Task<Void, Never>?
        var waiting: [Int64: [Waiter]] = [:]
        var nextToken = 0
        var closed = false
    }
    private let state = Mutex(State())
    private let locate: Locate
    private let security: HTTP2ClientTransport.Posix.TransportSecurity
    private let logger: Logger
    private static let descriptor = MethodDescriptor(fullyQualifiedService: "etcdserverpb.Lease", method: "LeaseKeepAlive")

    init(locate: @escaping Locate, security: HTTP2ClientTransport.Posix.TransportSecurity, logger: Logger) {
        self.locate = locate
        self.security = security
        self.logger = logger
    }

    /// Renews `lease` once; returns its TTL in seconds as etcd answered (0 or less: the lease is gone). Fails with
    /// ``StoreError/unavailable(_:)`` when the stream fails before the answer; the caller's deadline bounds the wait.
    func renew(_ lease: Int64) async throws -> Int64 {
        let token = state.withLock { s in
            s.nextToken += 1
            return s.nextToken
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int64, any Error>) in
                let send: AsyncStream<Int64>.Continuation? = state.withLock { s in
                    if s.closed {
                        continuation.resume(throwing: StoreError.unavailable("the etcd client is closed"))
                        return nil
                    }
                    s.waiting[lease, default: []].append(Waiter(token: token, continuation: continuation))
                    if s.requests == nil {
                        let (requests, sink) = AsyncStream<Int64>.makeStream(bufferingPolicy: .unbounded)
                        s.requests = sink
                        s.driver = Task { await self.drive(requests) }
                    }
                    return s.requests
                }
                send?.yield(lease)
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                guard let index = s.waiting[lease]?.firstIndex(where: { $0.token == token }) else { return nil }
                return s.waiting[lease]?.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Ends the stream and fails every renewal waiting; later renewals fail at once.
    func close() async {
        let driver = state.withLock { s in
            s.closed = true
            s.requests?.finish()
            return s.driver
        }
        driver?.cancel()
        await driver?.value
    }

    /// Runs one stream until it fails, ends, or sees a new term; then fails what still waits, so that the next
    /// renewal opens a new stream.
    private func drive(_ requests: AsyncStream<Int64>) async {
        var failure = "the lease stream ended"
        do {
            let (host, port) = try await locate()
            // An address as such (no name to send as TLS SNI, which must not be an IP address), else a name.
            let target: any ResolvableTarget =
                if host.contains(":") {
                    .ipv6(address: host, port: port)
                } else if host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." }) {
                    .ipv4(address: host, port: port)
                } else { .dns(host: host, port: port) }
            let transport = try HTTP2ClientTransport.Posix(target: target, transportSecurity: security)
            try await withGRPCClient(transport: transport) { client in
                try await client.bidirectionalStreaming(
                    request: StreamingClientRequest(producer: { writer in
                        for await lease in requests { try await writer.write(lease) }
                    }),
                    descriptor: Self.descriptor, serializer: EtcdLeaseMessages.RequestSerializer(),
                    deserializer: EtcdLeaseMessages.AnswerDeserializer(), options: .defaults
                ) { response in
                    var term: UInt64?
                    for try await answer in response.messages {
                        self.deliver(answer)
                        if let term, answer.raftTerm != 0, answer.raftTerm != term {
                            self.state.withLock { _ = $0.requests?.finish() }
                            return
                        }
                        term = term ?? (answer.raftTerm == 0 ? nil : answer.raftTerm)
                    }
                }
            }
            failure = "the lease stream ended (a new etcd leader)"
        } catch {
            failure = "the lease stream failed: \(error)"
        }
        let waiting = state.withLock { s in
            defer {
                s.waiting = [:]
                s.requests?.finish()
                s.requests = nil
                s.driver = nil
            }
            return s.waiting.values.flatMap { $0 }
        }
        if !waiting.isEmpty { logger.debug("etcd lease stream closed", metadata: ["reason": "\(failure)", "waiting": "\(waiting.count)"]) }
        for waiter in waiting { waiter.continuation.resume(throwing: StoreError.unavailable("etcd: \(failure)")) }
    }

    /// Hands an answer to the renewal that waits longest for its lease.
    private func deliver(_ answer: EtcdLeaseMessages.Answer) {
        let waiter = state.withLock { s -> Waiter? in
            guard var queue = s.waiting[answer.id], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            s.waiting[answer.id] = queue.isEmpty ? nil : queue
            return first
        }
        waiter?.continuation.resume(returning: answer.ttl)
    }
}
