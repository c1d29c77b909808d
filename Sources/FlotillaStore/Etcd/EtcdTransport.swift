import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Unary JSON calls and streaming requests to the members of one etcd cluster, with fail-over.
///
/// - Every attempt has a deadline (``requestTimeout``) covering the connection, the request and the whole
///   answer; every answer is read with a size limit (``maxResponseBytes``).
/// - A call goes to the member that answered last, and on failure to the next ones, each at most once.
/// - Which failures move on to the next member depends on the call's ``Retry`` rule: a call that may be
///   repeated moves on after any transport failure; a call that must not be applied twice (a write) moves on
///   only when the request certainly never reached a member (the connection could not be made, or the TLS
///   session was refused: etcd processes nothing over a session it did not accept).
/// - With TLS (`https://` members), a failed handshake is an ``EtcdError/tls(endpoint:cause:)`` naming the member
///   and the cause, logged once per member as a warning; connections speak HTTP/1.1 as over plain TCP (no
///   HTTP/2 by ALPN), so that each watch holds a connection of its own and the rules above stay the same.
final class EtcdTransport: Sendable {
    /// Whether a call may be sent again after its first sending failed.
    enum Retry: Sendable {
        /// Repeating the call cannot change its effect (reads, keep-alive, revoke, compaction, lease grant whose
        /// orphan would just expire): try the next member after any transport failure or an etcd
        /// `UNAVAILABLE`/`DEADLINE_EXCEEDED`.
        case idempotent
        /// A write whose answer, once sent, cannot be known if lost (put, delete, txn with writes): try the
        /// next member only if the connection could not be made.
        case unlessSent
    }

    let endpoints: [String]
    let requestTimeout: Duration
    let maxResponseBytes: Int
    let client: HTTPClient
    let logger: Logger
    /// Whether the client presents a certificate (for the hint when a member closes a TLS session at once).
    let presentsClientCertificate: Bool
    /// The members whose TLS failure was logged (each once).
    private let reportedTLS = Mutex<Set<String>>([])
    /// The members that sent an HTTP answer (any status) at least once: a member that did speaks this store's
    /// protocol, so a later closed connection is not read as a TLS mismatch.
    private let spoke = Mutex<Set<String>>([])
    /// Index in ``endpoints`` of the member that answered last.
    private let preferred = Mutex(0)
    private let encoder = JSONEncoder()

    init(endpoints: [String], requestTimeout: Duration, maxResponseBytes: Int, tls: TLSConfiguration?, logger: Logger) {
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
        self.logger = logger
        var configuration = HTTPClient.Configuration()
        // The connect timeout is part of each attempt's deadline; a refused connection fails at once
        // (no retries inside the pool) so that the call moves on to the next member without waiting.
        configuration.timeout.connect = .nanoseconds(Int64(Self.nanoseconds(requestTimeout)))
        configuration.connectionPool.retryConnectionEstablishment = false
        // Each watch holds one HTTP/1.1 connection for its lifetime: do not let watches starve unary calls.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.tlsConfiguration = tls
        configuration.httpVersion = .http1Only
        // The store's calls are traced by the host's `store.*` spans under the head sampler (ADR 0022): no stray
        // client span of AsyncHTTPClient's own per etcd call (lease renewals and watches included).
        configuration.tracing.tracer = nil
        presentsClientCertificate = !(tls?.certificateChain.isEmpty ?? true)
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Whether ``shutdown()`` ran.
    private let isShutDown = Mutex(false)

    /// Shuts the HTTP client down: open streams fail, later calls fail. Only the first call does anything.
    func shutdown() async throws {
        let first = isShutDown.withLock { shut -> Bool in
            if shut { return false }
            shut = true
            return true
        }
        guard first else { return }
        try await client.shutdown()
    }

    deinit {
        // An owner that forgot close(): release the client's connections rather than leak them. The shutdown
        // keeps the client alive until it is done; nothing waits for it.
        if !isShutDown.withLock({ $0 }) {
            logger.debug("etcd store released without close(): shutting its HTTP client down")
            let _: EventLoopFuture<Void> = client.shutdown()
        }
    }

    /// The member to try first, then the others in order.
    func memberOrder() -> [Int] {
        let first = preferred.withLock { $0 }
        return (0..<endpoints.count).map { (first + $0) % endpoints.count }
    }

    func markAnswered(_ index: Int) {
        preferred.withLock { $0 = index }
    }

    /// After member `index` failed to answer: the next call starts with the member after it, so that a member
    /// that hangs costs one deadline, not one per call (a write that is not sent again still moves the
    /// preference on).
    func markFailed(_ index: Int) {
        preferred.withLock { preferred in
            if preferred == index { preferred = (index + 1) % endpoints.count }
        }
    }

    /// POSTs `body` as JSON to `path` and decodes the answer, failing over across members per `retry`.
    func call<Request: Encodable & Sendable, Response: Decodable & Sendable>(
        _ path: String, _ body: Request, as: Response.Type = Response.self, retry: Retry
    ) async throws(EtcdError) -> Response {
        let payload = try encode(body)
        var lastError: EtcdError?
        for index in memberOrder() {
            let endpoint = endpoints[index]
            do throws(EtcdError) {
                let response: Response = try await attempt(endpoint: endpoint, path: path, payload: payload)
                markAnswered(index)
                return response
            } catch {
                lastError = error
                if error.worthTryingAnotherMember { markFailed(index) }
                let moveOn: Bool
                switch (retry, error) {
                case (.idempotent, _): moveOn = error.worthTryingAnotherMember
                case (.unlessSent, .connect), (.unlessSent, .tls): moveOn = true
                case (.unlessSent, _): moveOn = false
                }
                logger.debug(
                    "etcd call failed",
                    metadata: ["path": "\(path)", "endpoint": "\(endpoint)", "error": "\(error)", "nextMember": "\(moveOn)"])
                if !moveOn { throw error }
                if Task.isCancelled { break }
            }
        }
        throw lastError ?? EtcdError.connect(endpoint: "-", cause: "no endpoints")
    }

    /// POSTs `body` as JSON to `path` on member `index` alone (no fail-over), within ``requestTimeout``.
    func call<Request: Encodable & Sendable, Response: Decodable & Sendable>(
        member index: Int, _ path: String, _ body: Request, as: Response.Type = Response.self
    ) async throws(EtcdError) -> Response {
        try await attempt(endpoint: endpoints[index], path: path, payload: try encode(body))
    }

    private func encode<Request: Encodable>(_ body: Request) throws(EtcdError) -> Data {
        do { return try encoder.encode(body) } catch {
            throw EtcdError.malformed(endpoint: "-", cause: "cannot encode the request: \(error)")
        }
    }

    /// One attempt on one member, within ``requestTimeout``.
    private func attempt<Response: Decodable & Sendable>(
        endpoint: String, path: String, payload: Data
    ) async throws(EtcdError) -> Response {
        let timeout = requestTimeout
        let limit = maxResponseBytes
        let client = self.client
        let outcome: Result<(HTTPResponseStatus, ByteBuffer), EtcdError> = await Self.race(timeout: timeout, endpoint: endpoint) {
            var request = HTTPClientRequest(url: endpoint + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: payload))
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .nanoseconds(Int64(Self.nanoseconds(timeout))))
            } catch {
                return .failure(self.classify(error, endpoint: endpoint))
            }
            self.markSpoke(endpoint)
            do {
                let body = try await response.body.collect(upTo: limit)
                return .success((response.status, body))
            } catch let error as NIOTooManyBytesError {
                return .failure(.malformed(endpoint: endpoint, cause: "answer larger than \(limit) bytes: \(error)"))
            } catch {
                return .failure(self.classify(error, endpoint: endpoint))
            }
        }
        let (status, body) = try outcome.get()
        return try Self.decode(status: status, body: body, endpoint: endpoint)
    }

    /// Decodes a unary answer: the response type on 200, an ``EtcdError/server(endpoint:code:message:)``
    /// otherwise.
    static func decode<Response: Decodable>(
        status: HTTPResponseStatus, body: ByteBuffer, endpoint: String
    ) throws(EtcdError) -> Response {
        let decoder = JSONDecoder()
        guard status == .ok else { throw serverError(status: status, body: body, endpoint: endpoint) }
        do {
            return try decoder.decode(Response.self, from: body)
        } catch {
            throw EtcdError.malformed(endpoint: endpoint, cause: "\(error)")
        }
    }

    /// Opens a server-streaming call on the member at `index`: returns once the response head arrived (within
    /// ``requestTimeout``); the body then streams for as long as the member keeps it open.
    func openStream(index: Int, path: String, payload: Data, headers: [(String, String)]) async throws(EtcdError)
        -> HTTPClientResponse
    {
        let endpoint = endpoints[index]
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(data: payload))
        let response: HTTPClientResponse
        do {
            // The deadline covers the response head only (AsyncHTTPClient cancels its timer once the head is in).
            response = try await client.execute(request, timeout: .nanoseconds(Int64(Self.nanoseconds(requestTimeout))))
        } catch {
            throw classify(error, endpoint: endpoint)
        }
        markSpoke(endpoint)
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
            throw Self.serverError(status: response.status, body: body, endpoint: endpoint)
        }
        return response
    }

    // MARK: Helpers

    /// The error of an answer that is not 200: etcd's grpc code and message when the body carries them.
    static func serverError(status: HTTPResponseStatus, body: ByteBuffer, endpoint: String) -> EtcdError {
        let error = try? JSONDecoder().decode(EtcdWire.ErrorBody.self, from: body)
        let message = error?.message ?? error?.error ?? String(String(buffer: body).prefix(200))
        // Without a grpc code it is an HTTP-level failure: UNAVAILABLE for 5xx, else INVALID_ARGUMENT.
        let fallback = status.code >= 500 ? EtcdError.GRPCCode.unavailable : EtcdError.GRPCCode.invalidArgument
        return .server(endpoint: endpoint, code: error?.code ?? fallback, message: message)
    }

    /// Runs `body`, or gives up after `timeout` (cancelling it) with ``EtcdError/noAnswer(endpoint:cause:)``.
    static func race<T: Sendable>(
        timeout: Duration, endpoint: String, _ body: @escaping @Sendable () async -> Result<T, EtcdError>
    ) async -> Result<T, EtcdError> {
        await withTaskGroup(of: Result<T, EtcdError>?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            let first = await group.next() ?? nil
            if Task.isCancelled, first == nil {
                return .failure(.noAnswer(endpoint: endpoint, cause: "cancelled"))
            }
            return first ?? .failure(.noAnswer(endpoint: endpoint, cause: "no answer within \(timeout)"))
        }
    }

    /// Whether `error` says the connection could not be made (so the request was never sent).
    static func isConnectFailure(_ error: any Error) -> Bool {
        switch error {
        case is NIOConnectionError: return true
        case let error as HTTPClientError: return error == .connectTimeout
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        case let error as IOError:
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        default: return false
        }
    }

    /// The ``EtcdError`` of a failed request: closed, a TLS failure (logged once per member), a connection that
    /// could not be made, or no answer.
    func classify(_ error: any Error, endpoint: String) -> EtcdError {
        if let error = error as? HTTPClientError, error == .alreadyShutdown { return .closed }
        if EtcdTLSFailure.isTLSFailure(error) {
            let cause = EtcdTLSFailure.cause(of: error, presentsClientCertificate: presentsClientCertificate)
            let failure = EtcdError.tls(endpoint: endpoint, cause: cause)
            reportTLS(failure, endpoint: endpoint)
            return failure
        }
        if Self.isConnectFailure(error) { return .connect(endpoint: endpoint, cause: "\(error)") }
        // Without a client certificate, a member that requires one accepts the TLS 1.3 handshake and then closes
        // the session: to the client that looks like a lost answer. It stays one (a lost write may have been
        // applied), with the likely cause in words.
        let neverSpoke = !spoke.withLock { $0.contains(endpoint) }
        if neverSpoke, endpoint.hasPrefix("https://"), !presentsClientCertificate, Self.isClosedWithoutAnswer(error) {
            return .noAnswer(
                endpoint: endpoint,
                cause: "\(error) (over TLS without a client certificate: a member started with --client-cert-auth closes such "
                    + "connections; give one with --etcd-cert and --etcd-key)")
        }
        // A member that serves plain http answers a TLS hello with a 400 (then the handshake fails, above) or, as
        // often, resets the connection before TLS can tell: say so, as a possibility, for a member that never
        // answered this store.
        if neverSpoke, endpoint.hasPrefix("https://"), Self.isClosedWithoutAnswer(error) {
            return .noAnswer(
                endpoint: endpoint,
                cause: "\(error) (closed before any answer over TLS: a member that serves plain http does this; "
                    + "a plain member is etcd://, not etcds://)")
        }
        // A member that serves TLS closes a plain connection without a word: say so, as a possibility, for a
        // member that never answered this store.
        if neverSpoke, endpoint.hasPrefix("http://"), Self.isClosedWithoutAnswer(error) {
            return .noAnswer(
                endpoint: endpoint,
                cause: "\(error) (closed without an answer: a member that serves TLS does this to plain http://; "
                    + "then use an etcds:// store)")
        }
        return .noAnswer(endpoint: endpoint, cause: "\(error)")
    }

    private func markSpoke(_ endpoint: String) {
        _ = spoke.withLock { $0.insert(endpoint) }
    }

    /// Logs a TLS failure of `endpoint` as a warning, the first time only: a wrong CA or certificate would
    /// otherwise log on every call.
    private func reportTLS(_ failure: EtcdError, endpoint: String) {
        let first = reportedTLS.withLock { $0.insert(endpoint).inserted }
        if first { logger.warning("etcd TLS failed", metadata: ["endpoint": "\(endpoint)", "error": "\(failure)"]) }
    }

    /// Whether the member closed the connection before answering.
    static func isClosedWithoutAnswer(_ error: any Error) -> Bool {
        switch error {
        case let error as HTTPClientError: return error == .remoteConnectionClosed
        case let error as NIOSSLError: return error == .uncleanShutdown
        case let error as IOError: return [EPIPE, ECONNRESET].contains(error.errnoCode)
        case let error as ChannelError: return error == .ioOnClosedChannel || error == .outputClosed
        default: return false
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
