import AsyncHTTPClient
import FlotillaCore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small client for the Docker Engine HTTP API on its unix socket (`http+unix://`).
///
/// Every call has a deadline and every body read a size limit. A daemon that cannot be reached (no socket,
/// connection refused, no answer before the deadline) is ``BackendError/unavailable(_:)``; nothing is kept
/// that would stop the client from working again once the daemon is back, except the negotiated API
/// version, which is forgotten on such a failure.
final class DockerEngineClient: Sendable {
    /// One answer of the daemon.
    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer

        var data: Data { Data(buffer: body, byteTransferStrategy: .noCopy) }

        func decode<T: Decodable>(_ type: T.Type) throws(BackendError) -> T {
            do {
                return try JSONDecoder().decode(type, from: data)
            } catch {
                throw BackendError.failed("the docker daemon sent an answer Flotilla cannot read (\(T.self)): \(error)")
            }
        }

        /// The daemon's `{"message": ...}`, or the raw text.
        var message: String {
            if let parsed = try? JSONDecoder().decode(DockerWire.ErrorMessage.self, from: data) { return parsed.message }
            return String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The highest Engine API version this client is written against.
    static let preferredAPIVersion = "1.41"

    /// AsyncHTTPClient sends no `Host` for `http+unix` URLs; the daemon (Go's HTTP server) requires one.
    static let hostHeader = "docker"

    let socketPath: String
    let requestTimeout: Duration
    let bodyLimit: Int
    private let http: HTTPClient
    private let apiPrefix = Mutex<String?>(nil)
    /// Set after a transport failure (and at first): the next call first checks, with a quick connect, that
    /// the socket accepts connections, because AsyncHTTPClient retries a refused connection until the
    /// request's deadline. A down daemon is so reported at once instead of after the whole deadline.
    private let suspect = Mutex(true)

    init(socketPath: String, requestTimeout: Duration, bodyLimit: Int, http: HTTPClient) {
        self.socketPath = socketPath
        self.requestTimeout = requestTimeout
        self.bodyLimit = bodyLimit
        self.http = http
    }

    // MARK: - Calls

    /// `GET /_ping` (unversioned): true when the daemon answers OK.
    func ping(timeout: Duration) async -> Bool {
        guard let response = try? await send(.GET, "/_ping", timeout: timeout, versioned: false) else { return false }
        return response.status == 200
    }

    /// `GET /version` (unversioned).
    func version(timeout: Duration? = nil) async throws -> DockerWire.Version {
        let response = try await send(.GET, "/version", timeout: timeout, versioned: false)
        guard response.status == 200 else {
            throw BackendError.failed("docker /version answered \(response.status): \(response.message)")
        }
        return try response.decode(DockerWire.Version.self)
    }

    /// Sends one request under `/v<api>` (negotiated once from `/version`), or unversioned.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: (any Encodable & Sendable)? = nil,
        timeout: Duration? = nil, limit: Int? = nil, versioned: Bool = true
    ) async throws -> Response {
        try await checkReachable(timeout: timeout)
        let prefix = versioned ? try await negotiatedPrefix() : ""
        var request = HTTPClientRequest(url: try url(prefix + path, query: query))
        request.method = method
        request.headers.add(name: "Host", value: Self.hostHeader)
        if let json {
            let data: Data
            do { data = try JSONEncoder().encode(json) } catch {
                throw BackendError.invalidRequest("could not encode the docker request: \(error)")
            }
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let deadline = NIODeadline.now() + TimeAmount(timeout ?? requestTimeout)
        do {
            let response = try await http.execute(request, deadline: deadline)
            let body = try await response.body.collect(upTo: limit ?? bodyLimit)
            return Response(status: Int(response.status.code), body: body)
        } catch {
            throw mapTransport(error, method: method, path: path)
        }
    }

    /// How a stream of lines ended.
    enum LineStreamEnd: Sendable {
        /// The daemon answered with another status than 200; its body (bounded) is in the response.
        case refused(Response)
        /// The answer's body ended.
        case ended
        /// Nothing arrived for as long as the HTTP client's read timeout: the stream is idle, not broken.
        case quiet
    }

    /// Sends a request whose answer is a stream of newline-delimited JSON (event stream, image pull progress)
    /// and calls `line` with each line, without its newline, as soon as it is complete; the last line may lack
    /// one. `timeout` bounds the wait for the answer's head only: the body runs until the daemon ends it, the
    /// task is cancelled or `line` throws. A line longer than `lineLimit` is never buffered whole: `line` gets
    /// nil in its place and its bytes are skipped. `client`, when given, is used instead of the shared one: a
    /// stream that stays open holds its connection, which must not be one the other calls wait for.
    func streamLines(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], timeout: Duration, lineLimit: Int,
        client: HTTPClient? = nil, line: (ByteBuffer?) throws -> Void
    ) async throws -> LineStreamEnd {
        try await checkReachable(timeout: timeout)
        let prefix = try await negotiatedPrefix()
        var request = HTTPClientRequest(url: try url(prefix + path, query: query))
        request.method = method
        request.headers.add(name: "Host", value: Self.hostHeader)
        do {
            let response = try await (client ?? http).execute(request, deadline: .now() + TimeAmount(timeout))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: bodyLimit)
                return .refused(Response(status: Int(response.status.code), body: body))
            }
            var pending = ByteBuffer()
            var skipping = false
            for try await chunk in response.body {
                var chunk = chunk
                pending.writeBuffer(&chunk)
                while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let length = newline - pending.readerIndex
                    let complete = pending.readSlice(length: length) ?? ByteBuffer()
                    pending.moveReaderIndex(forwardBy: 1)
                    if skipping {
                        skipping = false  // The end of an oversized line, already reported.
                    } else {
                        try line(length > lineLimit ? nil : complete)
                    }
                }
                pending.discardReadBytes()
                if pending.readableBytes > lineLimit {
                    if !skipping { try line(nil) }
                    skipping = true
                    pending.clear()
                }
            }
            if Task.isCancelled { throw CancellationError() }
            if !skipping, pending.readableBytes > 0 { try line(pending) }
            return .ended
        } catch let error as HTTPClientError where error == .readTimeout {
            return .quiet
        } catch let error as BackendError {
            throw error
        } catch {
            throw mapTransport(error, method: method, path: path)
        }
    }

    /// Sends a request whose answer is a byte stream (a container's log) and calls `chunk` with each piece of
    /// the body as it arrives. `timeout` bounds the wait for the answer's head only; the body runs until the
    /// daemon ends it, the task is cancelled or `chunk` throws. A status other than 200 is `.refused` with
    /// its (bounded) body. `client` as in ``streamLines(_:_:query:timeout:lineLimit:client:line:)``.
    func streamBody(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], timeout: Duration, client: HTTPClient? = nil,
        chunk: (ByteBuffer) async throws -> Void
    ) async throws -> LineStreamEnd {
        try await checkReachable(timeout: timeout)
        let prefix = try await negotiatedPrefix()
        var request = HTTPClientRequest(url: try url(prefix + path, query: query))
        request.method = method
        request.headers.add(name: "Host", value: Self.hostHeader)
        do {
            let response = try await (client ?? http).execute(request, deadline: .now() + TimeAmount(timeout))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: bodyLimit)
                return .refused(Response(status: Int(response.status.code), body: body))
            }
            for try await piece in response.body {
                do { try await chunk(piece) } catch { throw ConsumerFailure(error: error) }
            }
            if Task.isCancelled { throw CancellationError() }
            return .ended
        } catch let failure as ConsumerFailure {
            throw failure.error  // The reader's own failure (its client left), not the daemon's.
        } catch let error as HTTPClientError where error == .readTimeout {
            return .quiet
        } catch let error as BackendError {
            throw error
        } catch {
            throw mapTransport(error, method: method, path: path)
        }
    }

    /// Sends a request whose answer is a stream of JSON lines (image pull progress) and returns the first
    /// error the stream reports, or nil when it ended without one. No line may exceed the body limit.
    func streamError(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], timeout: Duration
    ) async throws -> (status: Int, error: String?) {
        var firstError: String?
        let end = try await streamLines(method, path, query: query, timeout: timeout, lineLimit: bodyLimit) { line in
            guard let line else { throw BackendError.failed("docker sent a progress line longer than \(bodyLimit) bytes") }
            if firstError == nil,
                let progress = try? JSONDecoder().decode(DockerWire.PullProgress.self, from: Data(buffer: line)),
                let error = progress.error
            {
                firstError = error
            }
        }
        switch end {
        case .refused(let response): return (response.status, response.message)
        case .ended: return (200, firstError)
        case .quiet: throw BackendError.unavailable("the docker daemon stopped sending progress on \(method) \(path)")
        }
    }

    /// Forgets what was learnt about the daemon (its API version, that it accepts connections), as after a
    /// transport failure: for a stream the daemon ended, which it does when it shuts down.
    func forgetDaemon() {
        apiPrefix.withLock { $0 = nil }
        suspect.withLock { $0 = true }
    }

    // MARK: - Helpers

    /// An error of the caller's `chunk`, carried through unchanged.
    private struct ConsumerFailure: Error {
        var error: any Error
    }

    /// When the daemon was last seen down: ``checkAccepting(timeout:)``.
    private func checkReachable(timeout: Duration?) async throws {
        guard suspect.withLock({ $0 }) else { return }
        try await checkAccepting(timeout: timeout)
    }

    /// One connect to the daemon's socket (bounded by a second), closed at once, whatever earlier calls found: the
    /// health check's first question. A daemon that is shutting down (dockerd on SIGTERM) removes its socket first,
    /// then stops its containers for seconds while it still answers on the connections already open, which the
    /// HTTP client's pool would keep using; a new connection tells. A refusal counts as a transport failure.
    func checkAccepting(timeout: Duration? = nil) async throws {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            forgetDaemon()
            throw BackendError.unavailable("no docker daemon socket at \(socketPath)")
        }
        let bound = min(timeout ?? requestTimeout, .seconds(1))
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(bound))
                .connect(unixDomainSocketPath: socketPath).get()
            try? await channel.close().get()
        } catch {
            forgetDaemon()
            throw BackendError.unavailable("the docker daemon socket \(socketPath) does not accept connections: \(error)")
        }
        suspect.withLock { $0 = false }
    }

    /// `/v1.41` (or the daemon's own version when older), asked once and kept until the daemon goes away.
    private func negotiatedPrefix() async throws -> String {
        if let known = apiPrefix.withLock({ $0 }) { return known }
        let version = try await self.version()
        let chosen = Self.negotiate(daemon: version.ApiVersion)
        let prefix = "/v" + chosen
        apiPrefix.withLock { $0 = prefix }
        return prefix
    }

    /// The lower of the daemon's API version and ``preferredAPIVersion``.
    static func negotiate(daemon: String) -> String {
        func parts(_ v: String) -> [Int] { v.split(separator: ".").map { Int($0) ?? 0 } }
        return parts(daemon).lexicographicallyPrecedes(parts(preferredAPIVersion)) ? daemon : preferredAPIVersion
    }

    private func url(_ path: String, query: [(String, String)]) throws -> String {
        var uri = path
        if !query.isEmpty {
            uri += "?" + query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: uri) else {
            throw BackendError.invalidRequest("cannot address the docker socket \(socketPath)")
        }
        return url.absoluteString
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// Anything that is not an HTTP answer means the daemon is not there (or not answering in time).
    private func mapTransport(_ error: any Error, method: HTTPMethod, path: String) -> any Error {
        if let backend = error as? BackendError { return backend }
        if error is CancellationError || Task.isCancelled { return CancellationError() }
        if let http = error as? HTTPClientError, http == .cancelled { return CancellationError() }
        if let http = error as? HTTPClientError, http == .deadlineExceeded {
            forgetDaemon()
            return BackendError.unavailable("the docker daemon at \(socketPath) did not answer \(method) \(path) in time")
        }
        if error is NIOTooManyBytesError {
            return BackendError.failed("the docker daemon's answer to \(method) \(path) is larger than \(bodyLimit) bytes")
        }
        forgetDaemon()
        return BackendError.unavailable("cannot reach the docker daemon at \(socketPath): \(error)")
    }
}
