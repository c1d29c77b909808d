import FlotillaAPI
import Foundation
import Testing

@testable import FlotillaClient

@Suite("Events formatting and resume")
struct EventsFormattingTests {
    static let at = Date(timeIntervalSince1970: 1_764_460_800)  // 2025-11-30T00:00:00Z

    static func event(_ revision: Int64, _ type: String = "instance.updated", id: String = "a1") -> Global.Event {
        Global.Event(
            revision: revision, type: type, instanceId: id,
            instance: .init(id: id, name: "web-1", state: "running", desired: "running", host: "h1"), previousState: "starting",
            workerId: "h1")
    }

    @Test("a text line: revision, time received, type, instance, host, state with the previous one")
    func textLine() {
        #expect(
            OutputFormatter.eventLine(Self.event(42, "instance.state_changed"), receivedAt: Self.at)
                == "42  2025-11-30T00:00:00Z  instance.state_changed  web-1 (a1)  host=h1  state=running (was starting)\n")
        let joined = Global.Event(revision: 7, type: "worker.joined", workerId: "h2")
        #expect(OutputFormatter.eventLine(joined, receivedAt: Self.at) == "7  2025-11-30T00:00:00Z  worker.joined  worker=h2\n")
        let leader = Global.Event(revision: 8, type: "leader.changed", workerId: "h2", term: 8)
        #expect(OutputFormatter.eventLine(leader, receivedAt: Self.at) == "8  2025-11-30T00:00:00Z  leader.changed  leader=h2  term=8\n")
        let deleted = Global.Event(revision: 9, type: "instance.deleted", instanceId: "a1", previousState: "stopped", workerId: "h1")
        #expect(
            OutputFormatter.eventLine(deleted, receivedAt: Self.at)
                == "9  2025-11-30T00:00:00Z  instance.deleted  a1  host=h1  was=stopped\n")
    }

    @Test("a JSON line is the wire event on one line, and decodes back")
    func jsonLine() throws {
        let line = try OutputFormatter.eventJSONLine(Self.event(42))
        #expect(line.hasSuffix("}\n"))
        #expect(!line.dropLast().contains("\n"))
        #expect(line.contains(#""instance_id":"a1""#))
        #expect(try WireJSON.decoder().decode(Global.Event.self, from: Data(line.utf8)) == Self.event(42))
    }

    @Test("the cursor accepts each event once across resumes, also when a drop cut a revision in two")
    func cursorResume() {
        var cursor = EventCursor(since: 10)
        let r1 = cursor.resumePoint()
        #expect(r1 == 10, "nothing printed yet: resume after --since")
        let r2 = cursor.accept(Self.event(9))
        #expect(!r2, "older than since")
        let r3 = cursor.accept(Self.event(11))
        #expect(r3)
        let r4 = cursor.accept(Self.event(12, id: "x"))
        #expect(r4)
        // Revision 12 has two events; the drop came after the first. Resume from 11 and skip the one printed.
        let r5 = cursor.resumePoint()
        #expect(r5 == 11)
        let r6 = cursor.accept(Self.event(12, id: "x"))
        #expect(!r6)
        let r7 = cursor.accept(Self.event(12, id: "y"))
        #expect(r7)
        let r8 = cursor.accept(Self.event(13))
        #expect(r8)
        // A second drop with the whole of 13 printed: 13 comes again and is skipped, 14 is new.
        let r9 = cursor.resumePoint()
        #expect(r9 == 12)
        let r10 = cursor.accept(Self.event(13))
        #expect(!r10)
        let r11 = cursor.accept(Self.event(14))
        #expect(r11)
        #expect(cursor.revision == 14)
    }

    @Test("without since, the cursor takes everything and resumes from the last revision")
    func cursorFromStart() {
        var cursor = EventCursor()
        let r12 = cursor.resumePoint()
        #expect(r12 == nil)
        let r13 = cursor.accept(Self.event(3))
        #expect(r13)
        let r14 = cursor.resumePoint()
        #expect(r14 == 2)
        let r15 = cursor.accept(Self.event(3))
        #expect(!r15)
        let r16 = cursor.accept(Self.event(4))
        #expect(r16)
    }

    @Test("an error event of the stream is a 503 with its code, worth a reconnect")
    func errorEvent() {
        let event = SSEParser.Event(type: "error", data: #"{"code":"STORE_UNAVAILABLE","message":"gone"}"#)
        #expect(throws: FlotillaClientError.api(status: 503, code: "STORE_UNAVAILABLE", message: "gone", details: nil)) {
            try FlotillaClient.decodeEvent(event, url: "u")
        }
        #expect(throws: FlotillaClientError.self) { try FlotillaClient.decodeEvent(.init(type: "x", data: "{"), url: "u") }
    }
}
