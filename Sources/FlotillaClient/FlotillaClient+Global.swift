import AsyncHTTPClient
import FlotillaAPI
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Surface D (`/api/v2`): the global API, answered by any host.
extension FlotillaClient {
    static let globalPath = ["api", "v2"]

    /// `GET /api/v2/vm/{id}/status`: the owner's live answer (503 HOST_UNREACHABLE is thrown).
    public func globalStatus(id: String) async throws -> Global.Status {
        try await send(.get, RequestTarget(Self.globalPath + ["vm", id, "status"])).value
    }

    /// `GET /api/v2/vms/{id}`, optionally once this host applied `minRevision`.
    public func globalVM(id: String, minRevision: Int64? = nil) async throws -> Global.VM {
        let query = minRevision.map { [RequestTarget.QueryItem("min_revision", String($0))] } ?? []
        return try await send(.get, RequestTarget(Self.globalPath + ["vms", id], query: query)).value
    }

    /// `GET /api/v2/vms`: one page.
    public func globalVMs(filters: [String: String] = [:], limit: Int? = nil, cursor: String? = nil) async throws -> Global.VMList {
        var query = filters.sorted { $0.key < $1.key }.map { RequestTarget.QueryItem($0.key, $0.value) }
        if let limit { query.append(.init("limit", String(limit))) }
        if let cursor { query.append(.init("cursor", cursor)) }
        return try await send(.get, RequestTarget(Self.globalPath + ["vms"], query: query)).value
    }

    /// `POST /api/v2/vms`; with `waitRunning`, answers once it runs.
    public func createGlobalVM(_ request: Global.CreateRequest, waitRunning: Bool = false) async throws -> Global.VM {
        let query = waitRunning ? [RequestTarget.QueryItem("wait", "running")] : []
        return try await send(.post, RequestTarget(Self.globalPath + ["vms"], query: query), body: request).value
    }

    /// `GET /api/v2/cluster`.
    public func globalCluster() async throws -> Global.Cluster {
        try await send(.get, RequestTarget(Self.globalPath + ["cluster"])).value
    }

    /// Any GET, unparsed: status and body, whatever the status (for answers like 503 with `last_known`).
    public func rawGet(_ path: [String], query: [RequestTarget.QueryItem] = []) async throws -> (status: Int, body: Data) {
        let url = try RequestTarget(path, query: query).url(relativeTo: baseURL)
        var request = HTTPClientRequest(url: url)
        if let apiKey, !apiKey.isEmpty { request.headers.add(name: "X-API-Key", value: apiKey) }
        do {
            let response = try await httpClient.execute(request, deadline: NIODeadline.now() + TimeAmount(timeout))
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return (Int(response.status.code), Data(buffer: body))
        } catch {
            throw transportError(error, url: url)
        }
    }

    /// `GET /api/v2/events`: server-sent events after `since` (or from now), as they come, until the server
    /// ends the stream or the consuming task is cancelled. `limit` asks the server to end after N events.
    public func events(since: Int64? = nil, limit: Int? = nil) -> AsyncThrowingStream<Global.Event, any Error> {
        var query: [RequestTarget.QueryItem] = []
        if let since { query.append(.init("since", String(since))) }
        if let limit { query.append(.init("limit", String(limit))) }
        let target = RequestTarget(Self.globalPath + ["events"], query: query)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Global.Event.self)
        let task = Task { [self] in
            do {
                let url = try target.url(relativeTo: baseURL)
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "Accept", value: "text/event-stream")
                if let apiKey, !apiKey.isEmpty { request.headers.add(name: "X-API-Key", value: apiKey) }
                // A stream has no overall deadline; the consumer cancels it.
                let response = try await httpClient.execute(request, timeout: .hours(24))
                guard response.status.code == 200 else {
                    let body = try await response.body.collect(upTo: maxResponseBytes)
                    throw Self.apiError(status: Int(response.status.code), reason: response.status.reasonPhrase, body: body)
                }
                var parser = SSEParser()
                for try await chunk in response.body {
                    for event in parser.feed(String(buffer: chunk)) {
                        if event.type == "error" {
                            throw FlotillaClientError.invalidResponse(url, "the event stream failed: \(event.data)")
                        }
                        if let decoded = try? WireJSON.decoder().decode(Global.Event.self, from: Data(event.data.utf8)) {
                            continuation.yield(decoded)
                        }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// Splits a text/event-stream into events (`event:` and `data:` fields; comments ignored).
struct SSEParser {
    struct Event: Equatable {
        var type: String
        var data: String
    }
    private var pending = ""

    mutating func feed(_ text: String) -> [Event] {
        pending += text
        var events: [Event] = []
        while let range = pending.range(of: "\n\n") {
            let block = pending[..<range.lowerBound]
            pending = String(pending[range.upperBound...])
            var type = "message"
            var data: [String] = []
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event:") { type = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") { data.append(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) }
            }
            if !data.isEmpty { events.append(Event(type: type, data: data.joined(separator: "\n"))) }
        }
        return events
    }
}
