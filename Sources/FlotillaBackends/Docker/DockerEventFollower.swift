import AsyncHTTPClient
import FlotillaCore
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// Follows the Docker Engine's event stream (`GET /events`) for the containers that carry Flotilla's
/// ownership label, and reports the instance id of each container whose state may have changed.
///
/// - The daemon filters: `type=container`, `label=io.flotilla.instance`, the actions in ``actions``.
/// - Resumable: the daemon time just after the last event seen is kept across calls, and the next stream asks
///   for the events `since` then, so that what happened while no stream was open (a dropped connection, a
///   daemon restart) is delivered from the daemon's buffer of recent events (the daemon keeps a few hundred).
///   Before any event was seen, the cursor is the time the first stream was opened, less a second (for the
///   clock of a daemon reached through a forwarded socket): a few events may then be delivered twice.
/// - Each call streams through an `HTTPClient` of its own, shut down when the call ends: the open stream holds
///   its connection, which must not be one of the shared pool's (that pool has a few per socket, and every
///   other call to the daemon would wait for them).
/// - A stream idle for `idleTimeout` (the client's read timeout) is reopened from the cursor; a stream the
///   daemon ends, or a daemon that cannot be reached, is ``BackendError/unavailable(_:)``.
final class DockerEventFollower: Sendable {
    /// The container actions after which the state `inspect` reports may differ.
    static let actions = ["create", "start", "restart", "die", "kill", "stop", "pause", "unpause", "destroy", "oom", "rename"]

    private let engine: DockerEngineClient
    private let connectTimeout: Duration
    private let idleTimeout: Duration?
    private let lineLimit: Int
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Nanoseconds since 1970, daemon time, from which the next stream resumes (inclusive).
    private let cursor = Mutex<Int64?>(nil)

    init(
        engine: DockerEngineClient, connectTimeout: Duration, idleTimeout: Duration?, lineLimit: Int, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) {
        self.engine = engine
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.lineLimit = lineLimit
        self.logger = logger
        self.now = now
    }

    /// Runs until cancelled (then throws `CancellationError`) or until the stream fails.
    func follow(_ changed: @escaping @Sendable (String) -> Void) async throws {
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .untraced(
                timeout: HTTPClient.Configuration.Timeout(
                    connect: TimeAmount(connectTimeout), read: idleTimeout.map { TimeAmount($0) })))
        do {
            while true {
                try await followOnce(changed, client: client)
                logger.trace("docker event stream idle; reopening it")
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// One stream; returns when it was idle for the client's read timeout.
    private func followOnce(_ changed: (String) -> Void, client: HTTPClient) async throws {
        let opening = Int64(now().timeIntervalSince1970 * 1_000_000_000) - 1_000_000_000
        let since = cursor.withLock { cursor in
            defer { cursor = cursor ?? opening }
            return cursor
        }
        var query = [("filters", Self.filters)]
        if let since { query.append(("since", Self.timestamp(since))) }
        logger.debug("following docker events", metadata: ["since": "\(since.map(Self.timestamp) ?? "now")"])
        let end = try await engine.streamLines(
            .GET, "/events", query: query, timeout: connectTimeout, lineLimit: lineLimit, client: client
        ) { line in
            guard let line else {
                logger.debug("skipped a docker event longer than the line limit", metadata: ["limit": "\(lineLimit)"])
                return
            }
            guard line.readableBytes > 0, let event = try? JSONDecoder().decode(DockerWire.Event.self, from: Data(buffer: line))
            else { return }
            if let time = event.timeNano { cursor.withLock { $0 = max($0 ?? time + 1, time + 1) } }
            if let id = Self.instanceId(of: event) { changed(id) }
        }
        try Task.checkCancellation()
        switch end {
        case .quiet:
            return
        case .ended:
            engine.forgetDaemon()
            throw BackendError.unavailable("the docker daemon closed its event stream")
        case .refused(let response):
            throw BackendError.failed("docker /events answered \(response.status): \(response.message)")
        }
    }

    /// The Flotilla instance id an event is about, when it is a relevant action on a container of Flotilla's.
    static func instanceId(of event: DockerWire.Event) -> String? {
        guard event.type == "container", let action = event.action, actions.contains(action),
            let id = event.source?.Attributes?[DockerContainerSpec.ownershipLabel], !id.isEmpty
        else { return nil }
        return id
    }

    /// The `filters` query parameter: Flotilla's containers and the actions that matter.
    static let filters: String = {
        let quoted = actions.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"type":["container"],"label":["\#(DockerContainerSpec.ownershipLabel)"],"event":[\#(quoted)]}"#
    }()

    /// Docker's `since` syntax for a time in nanoseconds: `seconds.nanoseconds`, nine digits after the point.
    static func timestamp(_ nanoseconds: Int64) -> String {
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(nanoseconds / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }
}
