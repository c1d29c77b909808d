import HTTPTypes
import Hummingbird

/// One host-to-host HTTP call.
public struct PeerRequest: Sendable {
    public var method: HTTPRequest.Method
    /// Absolute URL on the other host, e.g. `http://10.0.0.5:8080/internal/v1/instances/ID/status`.
    public var url: String
    public var headers: HTTPFields
    public var body: ByteBuffer?

    public init(method: HTTPRequest.Method, url: String, headers: HTTPFields = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// The other host's answer, whatever its status.
public struct PeerResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: ByteBuffer

    public init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The other host's answer whose body is read as it comes (a followed log, ADR 0024).
public struct PeerStream: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    /// Reads the body once: calls its argument with each piece as it arrives, until the body ends (returns), the
    /// connection fails or the argument throws (throws).
    public var body: @Sendable ((ByteBuffer) async throws -> Void) async throws -> Void

    public init(
        status: HTTPResponse.Status, headers: HTTPFields,
        body: @escaping @Sendable ((ByteBuffer) async throws -> Void) async throws -> Void
    ) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The other host did not answer: refused, reset, or past the deadline.
public struct PeerUnreachable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// How a host calls another (the port; the host provides one pooled keep-alive HTTP client).
public protocol PeerTransport: Sendable {
    /// Sends `request`, answering within `timeout` or throwing ``PeerUnreachable``.
    func send(_ request: PeerRequest, timeout: Duration) async throws -> PeerResponse
    /// Sends `request` and returns once the answer's head came, within `connectTimeout` (else throws
    /// ``PeerUnreachable``); its body has no deadline: it streams until the other host ends it.
    func stream(_ request: PeerRequest, connectTimeout: Duration) async throws -> PeerStream
}

extension PeerTransport {
    /// A transport without streaming answers with the whole body at once (``send(_:timeout:)``).
    public func stream(_ request: PeerRequest, connectTimeout: Duration) async throws -> PeerStream {
        let answer = try await send(request, timeout: connectTimeout)
        return PeerStream(status: answer.status, headers: answer.headers) { piece in try await piece(answer.body) }
    }
}

/// A transport for a host that has no peers to call (every call fails as unreachable).
public struct NoPeers: PeerTransport {
    public init() {}
    public func send(_ request: PeerRequest, timeout: Duration) async throws -> PeerResponse {
        throw PeerUnreachable("this host has no transport to other hosts")
    }
}
