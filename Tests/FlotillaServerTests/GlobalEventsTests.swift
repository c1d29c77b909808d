import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// One server-sent event as a client parses it.
struct SSEEvent: Equatable {
    var id: Int64
    var type: String
    var data: [String: Any]
    static func == (a: SSEEvent, b: SSEEvent) -> Bool { a.id == b.id && a.type == b.type }

    /// The events of a text/event-stream body (comments and error events included as they come).
    static func parse(_ text: String) -> [SSEEvent] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var id: Int64 = 0
            var type = "message"
            var data: [String: Any] = [:]
            var any = false
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int64(line.dropFirst(4)) ?? 0 }
                if line.hasPrefix("event: ") {
                    type = String(line.dropFirst(7))
                    any = true
                }
                if line.hasPrefix("data: ") {
                    data = (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]) ?? [:]
                }
            }
            return any ? SSEEvent(id: id, type: type, data: data) : nil
        }
    }
}

@Suite("Surface D: /api/v2/events")
struct GlobalEventsTests {
    @Test("events from a revision, resumed with Last-Event-ID, equal one uninterrupted read; created, placed, state changes")
    func resume() async throws {
        try await withProbe { probe, host in
            let start = host.host.registry.revision
            let created = try await probe.post("/api/v2/vms?wait=running", GlobalRoutesTests.createBody("ev-one"))
            let id = try #require(created["id"])
            _ = try await probe.post("/api/v2/vms/\(id)/stop?wait=true", "")
            _ = try await probe.delete("/api/v2/vms/\(id)")

            let whole = try await probe.get("/api/v2/events?since=\(start)&limit=6")
            #expect(whole.status == 200)
            #expect(whole.headers[.contentType] == "text/event-stream")
            let all = SSEEvent.parse(whole.text)
            #expect(all.count == 6, "\(whole.text)")
            let kinds = all.filter { $0.data["instance_id"] as? String == id }.map(\.type)
            #expect(kinds.first == "instance.created")
            #expect(kinds.contains("instance.placed"))
            #expect(kinds.contains("instance.state_changed"))
            #expect(zip(all, all.dropFirst()).allSatisfy { $0.id <= $1.id }, "in revision order")

            // Read 2, disconnect, resume from the last id: the same events, none missing.
            let first = SSEEvent.parse(try await probe.get("/api/v2/events?since=\(start)&limit=2").text)
            let last = try #require(first.last?.id)
            let rest = try await probe.call(.get, "/api/v2/events?limit=4", headers: [.init("Last-Event-ID")!: String(last)])
            let resumed = first + SSEEvent.parse(rest.text)
            #expect(resumed.map(\.id) == all.map(\.id))
            #expect(resumed.suffix(4).map(\.type).allSatisfy { !$0.isEmpty })
        }
    }

    @Test("a compacted revision is 410 REVISION_COMPACTED naming the oldest revision; a bad since is 400")
    func compacted() async throws {
        try await withProbe { probe, host in
            for i in 0..<3 { _ = try await probe.post("/api/v2/vms", GlobalRoutesTests.createBody("c-\(i)")) }
            let now = host.host.registry.revision
            try await host.host.store.compact(revision: now)
            let oldest = try await host.host.store.status().oldestRevision
            let r = try await probe.get("/api/v2/events?since=1")
            #expect(r.status == 410, "\(r.text)")
            #expect(r.errorCode == "REVISION_COMPACTED")
            let details = try #require(r.error["details"] as? [String: Any])
            #expect(details["oldestRevision"] as? Int == Int(oldest))
            #expect((r.error["message"] as? String)?.contains("\(oldest)") == true)
            for bad in [
                "since=-1", "since=abc", "limit=0", "since=9223372036854775807", "since=99999999999999999999", "until=-1", "until=later",
            ] {
                let b = try await probe.get("/api/v2/events?\(bad)")
                #expect(b.status == 400, "\(bad)")
            }
        }
    }

    @Test("until=now ends the stream after exactly the events up to the host's revision; until before since is an empty stream")
    func untilNow() async throws {
        try await withProbe { probe, host in
            let start = host.host.registry.revision
            let created = try await probe.post("/api/v2/vms?wait=running", GlobalRoutesTests.createBody("until-one"))
            let id = try #require(created["id"])
            // Without until or limit this read would never end: the probe's call returning is the assertion.
            let past = try await probe.get("/api/v2/events?since=\(start)&until=now")
            #expect(past.status == 200)
            let events = SSEEvent.parse(past.text)
            let kinds = events.filter { $0.data["instance_id"] as? String == id }.map(\.type)
            #expect(kinds.first == "instance.created")
            #expect(kinds.contains("instance.state_changed"), "\(past.text)")
            let whole = SSEEvent.parse(try await probe.get("/api/v2/events?since=\(start)&limit=\(events.count)").text)
            #expect(events.map(\.id) == whole.prefix(events.count).map(\.id), "the same events as an unbounded read")
            let empty = try await probe.get("/api/v2/events?since=\(host.host.registry.revision)&until=\(start)")
            #expect(empty.status == 200)
            #expect(SSEEvent.parse(empty.text).isEmpty)
        }
    }
}
