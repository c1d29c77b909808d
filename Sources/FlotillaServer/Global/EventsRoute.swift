import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /api/v2/events?since=REV`: the lifecycle log as server-sent events, each with `id: <revision>`,
/// `event: <type>` and a JSON `data` line. Resumable: `since` (exclusive) or the `Last-Event-ID` header
/// (the id of the last event received); without either, the stream starts at this host's current revision.
/// `limit=N` ends the stream once N events were sent (the events of one revision are never split, so a few
/// more may come). `until=REV` (or `until=now`, this host's current revision) ends the stream once the events
/// up to that revision were sent, so a reader of the past knows where it ends. A compacted revision: 410
/// `REVISION_COMPACTED` naming the oldest revision still available.
struct EventsRoute {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.get, "/api/v2/events", permission: .read) { req, _ in try await events(req) }
    }

    static let lastEventID = HTTPField.Name(constant: "Last-Event-ID")

    func events(_ req: Request) async throws -> Response {
        let since = try Self.since(req)
        let limit = try req.queryInt("limit", range: 1...1_000_000)
        let until = try Self.until(req, now: deps.registry.revision)
        let feed = try await deps.events.events(after: since, until: until)
        let encoder = JSONResponse.encoder
        let body = ResponseBody { writer in
            var sent = 0
            var buffer = ByteBuffer(string: ": flotilla events\n\n")
            try await writer.write(buffer)
            do {
                for try await item in feed {
                    switch item {
                    case .idle:
                        buffer = ByteBuffer(string: ": keep-alive\n\n")
                    case .events(let events):
                        buffer = ByteBuffer()
                        for event in events {
                            let data = (try? encoder.encode(GlobalMapping.event(event))) ?? Data("{}".utf8)
                            buffer.writeString(
                                "id: \(event.revision)\nevent: \(event.kind.rawValue)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
                        }
                        sent += events.count
                    }
                    try await writer.write(buffer)
                    if let limit, sent >= limit { break }
                }
            } catch let error as FlotillaError {
                let data = (try? encoder.encode(["code": error.code.rawValue, "message": error.message])) ?? Data()
                try await writer.write(ByteBuffer(string: "event: error\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
            } catch is CancellationError {
            } catch {
                try await writer.write(ByteBuffer(string: "event: error\ndata: {\"code\":\"STORE_UNAVAILABLE\"}\n\n"))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body)
    }

    /// `until`: `now` (this host's registry revision) or a non-negative revision; VALIDATION_ERROR otherwise.
    static func until(_ req: Request, now: Revision) throws -> Revision? {
        guard let raw = try req.query("until") else { return nil }
        if raw == "now" { return now }
        guard let value = Int64(raw), value >= 0 else {
            throw FlotillaError.validation("until must be now or a non-negative revision", field: "until")
        }
        return value
    }

    /// `since`, else `Last-Event-ID`; VALIDATION_ERROR for anything but a non-negative revision.
    static func since(_ req: Request) throws -> Revision? {
        let since = try req.query("since")
        let (raw, field) = since != nil ? (since, "since") : (req.headers[lastEventID], "Last-Event-ID")
        guard let raw else { return nil }
        guard let value = Int64(raw), value >= 0 else {
            throw FlotillaError.validation("\(field) must be a non-negative revision", field: field)
        }
        return value
    }
}
