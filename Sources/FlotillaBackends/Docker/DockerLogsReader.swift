import AsyncHTTPClient
import FlotillaCore
import NIOCore
import NIOHTTP1

/// Reads a container's log through `GET /containers/{id}/logs?stdout=1&stderr=1&tail=N&follow=0|1` (ADR 0024):
/// stdout and stderr both, demultiplexed (``DockerLogsDemultiplexer``) unless the container has a TTY, each line
/// cut at ``InstanceLogLimits/maxLineBytes``.
///
/// A followed log runs until the daemon ends it (the container stopped or was removed), the task is cancelled or
/// `write` throws (its reader left); it streams through an `HTTPClient` of its own, shut down when it ends, so that
/// the open stream never holds a connection the backend's other calls wait for. `connectTimeout` bounds the wait
/// for the answer's head; a followed body has no deadline.
struct DockerLogsReader: Sendable {
    let engine: DockerEngineClient
    let connectTimeout: Duration

    func read(
        container: String, instance: String, tty: Bool, tail: Int, follow: Bool,
        write: ([UInt8]) async throws -> Void
    ) async throws {
        let query = [("stdout", "1"), ("stderr", "1"), ("tail", String(tail)), ("follow", follow ? "1" : "0")]
        let client: HTTPClient? =
            follow
            ? HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: .untraced(timeout: .init(connect: TimeAmount(connectTimeout), read: nil)))
            : nil
        let end: DockerEngineClient.LineStreamEnd
        do {
            end = try await stream(container: container, query: query, tty: tty, client: client, write: write)
        } catch {
            try? await client?.shutdown()
            if let bad = error as? DockerLogsDemultiplexer.BadHeader { throw BackendError.failed(bad.description) }
            throw error
        }
        try? await client?.shutdown()
        if case .refused(let response) = end { throw DockerBackend.failure(response, "read the logs of", id: instance) }
    }

    private func stream(
        container: String, query: [(String, String)], tty: Bool, client: HTTPClient?,
        write: ([UInt8]) async throws -> Void
    ) async throws -> DockerEngineClient.LineStreamEnd {
        var demultiplexer = DockerLogsDemultiplexer()
        var limiter = LogLineLimiter()
        let path = "/containers/\(DockerEngineClient.encode(container))/logs"
        return try await engine.streamBody(.GET, path, query: query, timeout: connectTimeout, client: client) { piece in
            var bytes: [UInt8] = []
            if tty {
                bytes = limiter.pass(piece.readableBytesView)
            } else {
                for part in try demultiplexer.feed(piece.readableBytesView) { bytes += limiter.pass(part.bytes) }
            }
            if !bytes.isEmpty { try await write(bytes) }
        }
    }
}
