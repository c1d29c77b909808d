import AsyncHTTPClient
import FlotillaAPI
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// What one connection to `GET /api/v2/events` delivers, in order.
public enum EventStreamItem: Sendable, Equatable {
    /// The server accepted the stream; `revision` is its registry revision when it answered (`X-Flotilla-Revision`).
    case opened(revision: Int64?)
    case event(Global.Event)
}

extension FlotillaClient {
    /// One connection to `GET /api/v2/events`: `since` goes in the query, `lastEventID` in the `Last-Event-ID`
    /// header (the server takes either); `untilNow` asks the server to end the stream after the events up to its
    /// revision when it answered. Calls `receive` for each item, in order, in this task.
    ///
    /// Returns when the server ends the stream (a `limit`, `untilNow`, its graceful shutdown). Throws
    /// ``FlotillaClientError/api(status:code:message:details:)`` for a refused stream (410 `REVISION_COMPACTED`
    /// with `details.oldestRevision`, 401, 400) and for an `event: error` the server sends when its store
    /// fails mid-stream (then as a 503 with the event's code); ``FlotillaClientError/unreachable(_:_:)`` when no
    /// connection could be made or it broke; ``FlotillaClientError/invalidResponse(_:_:)`` for an event that
    /// is not the documented JSON. The stream has no overall deadline: cancel the task to end it; each event
    /// is at most ``maxResponseBytes``.
    public func streamEvents(
        since: Int64? = nil, lastEventID: Int64? = nil, limit: Int? = nil, untilNow: Bool = false,
        _ receive: (EventStreamItem) async throws -> Void
    ) async throws {
        var query: [RequestTarget.QueryItem] = []
        if let since { query.append(.init("since", String(since))) }
        if let limit { query.append(.init("limit", String(limit))) }
        if untilNow { query.append(.init("until", "now")) }
        let url = try RequestTarget(Self.globalPath + ["events"], query: query).url(relativeTo: baseURL)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "User-Agent", value: "flotilla-client")
        if let apiKey, !apiKey.isEmpty { request.headers.add(name: "X-API-Key", value: apiKey) }
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
        let response: HTTPClientResponse
        do {
            // The answer's head comes within the usual deadline; the body then runs until the stream ends.
            response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
        } catch {
            throw transportError(error, url: url)
        }
        guard response.status.code == 200 else {
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: maxResponseBytes) } catch { throw transportError(error, url: url) }
            throw Self.apiError(status: Int(response.status.code), reason: response.status.reasonPhrase, body: body)
        }
        try await receive(.opened(revision: response.headers.first(name: "X-Flotilla-Revision").flatMap { Int64($0) }))
        var parser = SSEParser()
        var pending = 0
        var chunks = response.body.makeAsyncIterator()
        while true {
            // Only the transport's errors are mapped; what `receive` throws goes to the caller unchanged.
            let next: ByteBuffer?
            do { next = try await chunks.next() } catch { throw transportError(error, url: url) }
            guard let chunk = next else { return }
            pending += chunk.readableBytes
            for event in parser.feed(String(buffer: chunk)) {
                pending = 0
                try await receive(.event(try Self.decodeEvent(event, url: url)))
            }
            guard pending <= maxResponseBytes else {
                throw FlotillaClientError.invalidResponse(url, "an event larger than \(maxResponseBytes) bytes")
            }
        }
    }

    static func decodeEvent(_ event: SSEParser.Event, url: String) throws -> Global.Event {
        let data = Data(event.data.utf8)
        if event.type == "error" {
            let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let code = fields?["code"] as? String ?? "STORE_UNAVAILABLE"
            let message = fields?["message"] as? String ?? "the event stream failed on the server"
            throw FlotillaClientError.api(status: 503, code: code, message: message, details: nil)
        }
        do {
            return try WireJSON.decoder().decode(Global.Event.self, from: data)
        } catch {
            throw FlotillaClientError.invalidResponse(url, "an event that is not the expected JSON (\(describeDecodingError(error)))")
        }
    }
}

/// Where a followed event stream stands, so that a stream resumed after a dropped connection prints each event
/// exactly once: the last revision printed and how many of its events were printed.
///
/// A resume asks for the events after the revision *before* the last one printed (``resumePoint()``), so a
/// revision whose events the drop cut in two comes again whole, and skips the events of it printed already
/// (``accept(_:)``). The server never splits a revision across streams and maps each store change to the same
/// number of events on every stream, so counting them is exact.
public struct EventCursor: Sendable, Equatable {
    /// The revision of the last event accepted (or the `since` it started after).
    public private(set) var revision: Int64?
    /// Events of ``revision`` accepted so far.
    public private(set) var acceptedAtRevision = 0
    private var toSkip = 0
    private var skipped = 0

    /// A cursor that accepts the events after `since` (all events when nil).
    public init(since: Int64? = nil) {
        revision = since
    }

    /// The `Last-Event-ID` to resume with; nil when nothing was accepted and no `since` was given.
    public mutating func resumePoint() -> Int64? {
        guard let revision else { return nil }
        skipped = 0
        toSkip = acceptedAtRevision
        return acceptedAtRevision > 0 ? revision - 1 : revision
    }

    /// Whether `event` is new and should be printed.
    public mutating func accept(_ event: Global.Event) -> Bool {
        guard let current = revision, event.revision <= current else {
            revision = event.revision
            acceptedAtRevision = 1
            toSkip = 0
            return true
        }
        guard event.revision == current else { return false }
        if skipped < toSkip {
            skipped += 1
            return false
        }
        acceptedAtRevision += 1
        return true
    }
}
