import AsyncHTTPClient
import FlotillaServer
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Tracing

/// The host-to-host transport: one AsyncHTTPClient whose pool keeps connections to the other hosts alive.
/// A service: it shuts the client down on graceful shutdown (after the HTTP server, which stops first).
/// With TLS (ADR 0017) it presents this host's certificate and trusts the cluster CA for the others.
final class PeerHTTPClient: PeerTransport, Service {
    private let client: HTTPClient
    private let logger: Logger

    init(tls: TLSConfiguration?, logger: Logger) {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        configuration.timeout = .init(connect: .seconds(1))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // PeerTraceInjector makes the hop's client span and sets its traceparent (ADR 0022); AsyncHTTPClient's own
        // tracing would add a second traceparent, and B could read neither.
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.logger = logger
    }

    func send(_ request: PeerRequest, timeout: Duration) async throws -> PeerResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers { outgoing.headers.add(name: field.name.canonicalName, value: field.value) }
        if let body = request.body { outgoing.body = .bytes(body) }
        // The other host continues this request's trace (ADR 0022).
        let span = PeerTraceInjector.start(method: request.method.rawValue, url: request.url, headers: &outgoing.headers)
        defer { span.end() }
        do {
            let response = try await client.execute(outgoing, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            let body = try await response.body.collect(upTo: 16 << 20)
            var headers = HTTPFields()
            for (name, value) in response.headers {
                if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
            }
            guard let status = Int(exactly: response.status.code) else { throw PeerUnreachable("bad status") }
            return PeerResponse(status: HTTPResponse.Status(code: status), headers: headers, body: body)
        } catch let error as PeerUnreachable {
            throw error
        } catch {
            logger.debug("peer call failed", metadata: ["url": "\(request.url)", "error": "\(error)"])
            throw PeerUnreachable(Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            return "no answer within the deadline"
        }
        return "connection failed (\(error))"
    }

    func run() async throws {
        // Idle until shutdown; then close the pool.
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}

extension PeerHTTPClient {
    /// A streamed answer (a followed log, ADR 0024): the deadline covers the answer's head only; the body has
    /// none (the pooled client has no read timeout) and holds its pooled connection until it ends.
    func stream(_ request: PeerRequest, connectTimeout: Duration) async throws -> PeerStream {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers { outgoing.headers.add(name: field.name.canonicalName, value: field.value) }
        if let body = request.body { outgoing.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, timeout: .nanoseconds(connectTimeout.nanoseconds))
        } catch {
            logger.debug("peer stream failed", metadata: ["url": "\(request.url)", "error": "\(error)"])
            throw PeerUnreachable(Self.describe(error))
        }
        var headers = HTTPFields()
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        guard let status = Int(exactly: response.status.code) else { throw PeerUnreachable("bad status") }
        let body = response.body
        return PeerStream(status: HTTPResponse.Status(code: status), headers: headers) { piece in
            for try await chunk in body { try await piece(chunk) }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
