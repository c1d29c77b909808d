import AsyncHTTPClient
import FlotillaAPI
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// A typed client for Flotilla's HTTP API: surface A (`/api/v1/compute`), surface C (`/api/v1/vms`,
/// `/api/v1/flavors`, `/api/v1/images`), key management (`/api/v1/keys`) and `GET /health`.
///
/// Every call has a deadline (``timeout``) covering the whole exchange, reads at most
/// ``maxResponseBytes`` of the answer, and throws ``FlotillaClientError``.
///
/// ## Who shuts the `HTTPClient` down
/// The client never shuts down the `HTTPClient` it is given: whoever made it does.
/// - With the default `HTTPClient.shared` there is nothing to shut down. Note that the shared client
///   retries failed connection attempts until the request deadline, so an unreachable server is only
///   reported when ``timeout`` has passed.
/// - ``withClient(baseURL:apiKey:timeout:_:)`` makes a client that fails fast when no server
///   listens, runs the body and shuts that client down afterwards (what the `flotilla` CLI uses).
/// - ``makeHTTPClient(connectTimeout:)`` makes such an `HTTPClient` for a caller that manages its
///   lifetime itself; call `try await httpClient.shutdown()` when done.
public struct FlotillaClient: Sendable {
    /// The server's base URL as given, e.g. `http://127.0.0.1:8080`.
    public let baseURL: String
    /// Sent as `X-API-Key` when present.
    public let apiKey: String?
    /// The deadline of each request, from sending it to having read the whole answer.
    public let timeout: Duration
    /// The most bytes of an answer body that are read; a larger answer is an
    /// ``FlotillaClientError/invalidResponse(_:_:)``.
    public let maxResponseBytes: Int

    let httpClient: HTTPClient

    /// The default answer size limit, 16 MiB.
    public static let defaultMaxResponseBytes = 16 * 1024 * 1024

    /// - Parameters:
    ///   - baseURL: `http(s)://HOST[:PORT][/prefix]`; checked when a request is made.
    ///   - apiKey: the key sent as `X-API-Key`, or `nil` for unauthenticated calls (`health()`).
    ///   - httpClient: the transport; not shut down by this client (see the type's documentation).
    ///   - timeout: the deadline of each request. The server's synchronous actions wait up to 60 s by
    ///     default, so keep this above that.
    ///   - maxResponseBytes: the answer size limit.
    public init(
        baseURL: String, apiKey: String?, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(90),
        maxResponseBytes: Int = FlotillaClient.defaultMaxResponseBytes
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.httpClient = httpClient
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// A copy of this client with another per-request deadline (e.g. for a stop with a long grace period).
    public func withTimeout(_ timeout: Duration) -> FlotillaClient {
        FlotillaClient(
            baseURL: baseURL, apiKey: apiKey, httpClient: httpClient, timeout: timeout,
            maxResponseBytes: maxResponseBytes)
    }

    /// An `HTTPClient` suited to a command-line tool: a refused connection fails at once instead of
    /// being retried until the deadline, connecting is bounded by `connectTimeout`, and redirects are
    /// not followed (so the API key never travels to another origin).
    /// `tls` is used for `https://` URLs (nil: the system's roots, no client certificate; see
    /// `FlotillaTLS.TLSFiles.client(ca:certificate:key:)` for a cluster CA and a client certificate).
    /// The caller must `shutdown()` it.
    public static func makeHTTPClient(connectTimeout: Duration = .seconds(5), tls: TLSConfiguration? = nil) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(connectTimeout)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Runs `body` with a client on its own fail-fast `HTTPClient` (``makeHTTPClient(connectTimeout:)``)
    /// and shuts that `HTTPClient` down afterwards, whether `body` returns or throws.
    public static func withClient<Result: Sendable>(
        baseURL: String, apiKey: String?, timeout: Duration = .seconds(90), tls: TLSConfiguration? = nil,
        _ body: (FlotillaClient) async throws -> Result
    ) async throws -> Result {
        let httpClient = makeHTTPClient(tls: tls)
        let client = FlotillaClient(baseURL: baseURL, apiKey: apiKey, httpClient: httpClient, timeout: timeout)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
        return result
    }
}

// MARK: - Transport

extension FlotillaClient {
    enum Method: Sendable {
        case get, post, put, patch, delete
    }

    /// A decoded answer and its HTTP status.
    struct Reply<Value: Sendable>: Sendable {
        var value: Value
        var status: Int
    }

    /// Sends one request and decodes a 2xx answer as `Response`; anything else becomes a
    /// ``FlotillaClientError``.
    func send<Response: Decodable & Sendable>(
        _ method: Method, _ target: RequestTarget, body: (any Encodable & Sendable)? = nil,
        headers: [(String, String)] = [], as type: Response.Type = Response.self
    ) async throws -> Reply<Response> {
        let url = try target.url(relativeTo: baseURL)
        var request = HTTPClientRequest(url: url)
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .put: request.method = .PUT
        case .patch: request.method = .PATCH
        case .delete: request.method = .DELETE
        }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "flotilla-client")
        if let apiKey, !apiKey.isEmpty {
            request.headers.add(name: "X-API-Key", value: apiKey)
        }
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        if let body {
            let data: Data
            do {
                data = try WireJSON.encoder().encode(body)
            } catch {
                throw FlotillaClientError.invalidRequest("cannot encode the request body: \(error)")
            }
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: data))
        }

        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, deadline: deadline)
        } catch {
            throw transportError(error, url: url)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw FlotillaClientError.invalidResponse(url, "the answer is larger than \(maxResponseBytes) bytes")
        } catch {
            throw transportError(error, url: url)
        }

        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw Self.apiError(status: status, reason: response.status.reasonPhrase, body: bytes)
        }
        do {
            let value = try WireJSON.decoder().decode(Response.self, from: bytes)
            return Reply(value: value, status: status)
        } catch {
            throw FlotillaClientError.invalidResponse(
                url, "HTTP \(status) with a body that is not the expected JSON (\(Self.describeDecodingError(error)))")
        }
    }

    /// The error for a non-2xx answer: the Flotilla error body when there is one, else `HTTP_<status>`
    /// with the start of the body (or the reason phrase) as message.
    static func apiError(status: Int, reason: String, body: ByteBuffer) -> FlotillaClientError {
        if let decoded = try? WireJSON.decoder().decode(Compute.ErrorBody.self, from: body) {
            return .api(
                status: status, code: decoded.error.code, message: decoded.error.message,
                details: decoded.error.details)
        }
        // Surface B (docs/api/surface-b-workers.md): `{"error":"Not Found","message":"...","code":404}`.
        if let decoded = try? WireJSON.decoder().decode(Workers.ErrorBody.self, from: body) {
            let code = decoded.error.uppercased().split(separator: " ").joined(separator: "_")
            return .api(status: status, code: code, message: decoded.message, details: nil)
        }
        if let surfaceC = vmSurfaceError(status: status, body: body) {
            return surfaceC
        }
        var text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count > 200 { text = String(text.prefix(200)) + "..." }
        return .api(status: status, code: "HTTP_\(status)", message: text.isEmpty ? reason : text, details: nil)
    }

    func transportError(_ error: any Error, url: String) -> any Error {
        if error is CancellationError { return error }
        if let tls = error as? NIOSSLError {
            return FlotillaClientError.unreachable(url, "TLS failed (\(tls)): check --cacert and the server's certificate")
        }
        guard let httpError = error as? HTTPClientError else {
            return FlotillaClientError.unreachable(url, Self.shortDescription(of: error))
        }
        switch httpError {
        case .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
            return FlotillaClientError.timedOut(url, after: timeout)
        case .cancelled:
            return CancellationError()
        case .invalidURL, .emptyHost, .emptyScheme:
            return FlotillaClientError.invalidRequest("invalid server URL '\(baseURL)'")
        case .connectTimeout:
            return FlotillaClientError.unreachable(url, "connection timed out")
        case .remoteConnectionClosed:
            return FlotillaClientError.unreachable(url, "the server closed the connection")
        default:
            return FlotillaClientError.unreachable(url, "\(httpError)")
        }
    }

    /// A one-line cause: the OS error message of a failed connect when there is one.
    static func shortDescription(of error: any Error) -> String {
        let text = "\(error)"
        for marker in ["Connection refused", "No route to host", "Network is unreachable", "Connection reset by peer"]
        where text.contains(marker) {
            return marker.lowercased()
        }
        if text.contains("NIOConnectionError") || text.contains("dnsAAAAError") {
            return "could not connect (name resolution or connection failed)"
        }
        return text.count > 300 ? String(text.prefix(300)) + "..." : text
    }

    static func describeDecodingError(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "\(error)" }
        switch decodingError {
        case .keyNotFound(let key, let context):
            return "missing '\(Self.path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at '\(Self.path(context.codingPath))'"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "bad value at '\(Self.path(context.codingPath))'"
        @unknown default:
            return "\(decodingError)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
