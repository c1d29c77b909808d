import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension FlotillaClient {
    /// Reads an instance's log, `GET /api/v2/instances/{id}/logs` (ADR 0024): its last `tail` lines, then, when
    /// `follow`, what it writes next, handing each piece to `output` as it arrives. Returns when the server ends
    /// the log (not following, or the instance stopped or was deleted).
    ///
    /// ``timeout`` bounds the wait for the answer's head; the body has no deadline, so that a quiet followed log
    /// stays open. An error answer (always sent before the first byte of a log) is read up to
    /// ``maxResponseBytes`` and thrown as ``FlotillaClientError/api(status:code:message:details:)``; a connection
    /// lost mid-log is ``FlotillaClientError/unreachable(_:_:)``.
    public func logs(id: String, tail: Int? = nil, follow: Bool = false, output: (Data) async throws -> Void) async throws {
        var query: [RequestTarget.QueryItem] = []
        if let tail { query.append(.init("tail", String(tail))) }
        if follow { query.append(.init("follow", "true")) }
        let url = try RequestTarget(["api", "v2", "instances", id, "logs"], query: query).url(relativeTo: baseURL)
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "text/plain, application/json")
        request.headers.add(name: "User-Agent", value: "flotilla-client")
        if let apiKey, !apiKey.isEmpty { request.headers.add(name: "X-API-Key", value: apiKey) }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, deadline: .now() + TimeAmount(timeout))
        } catch {
            throw transportError(error, url: url)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: maxResponseBytes) } catch { throw transportError(error, url: url) }
            throw Self.apiError(status: status, reason: response.status.reasonPhrase, body: body)
        }
        var iterator = response.body.makeAsyncIterator()
        while true {
            let piece: ByteBuffer?
            do { piece = try await iterator.next() } catch { throw transportError(error, url: url) }
            guard let piece else { return }
            try await output(Data(piece.readableBytesView))
        }
    }
}
