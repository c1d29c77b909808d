import FlotillaAPI
import Foundation
import Testing

/// `@NullEncoded`: nil is written as `null`, a value as itself (through the wire coders' date format), and a
/// missing key or `null` decodes to nil.
@Suite("NullEncoded: optionals written as null")
struct NullEncodedTests {
    struct Probe: Codable, Equatable {
        @NullEncoded var text: String?
        @NullEncoded var at: Date?
    }

    @Test(
        "encoding writes every key",
        arguments: [
            (Probe(text: nil, at: nil), #"{"at":null,"text":null}"#),
            (Probe(text: "x", at: nil), #"{"at":null,"text":"x"}"#),
            (Probe(text: nil, at: Date(timeIntervalSince1970: 0)), #"{"at":"1970-01-01T00:00:00Z","text":null}"#),
        ])
    func encode(probe: Probe, json: String) throws {
        #expect(String(decoding: try WireJSON.encoder().encode(probe), as: UTF8.self) == json)
    }

    @Test(
        "decoding takes a missing key or null as nil",
        arguments: [
            (#"{}"#, Probe(text: nil, at: nil)),
            (#"{"text":null,"at":null}"#, Probe(text: nil, at: nil)),
            (#"{"text":"x"}"#, Probe(text: "x", at: nil)),
            (#"{"at":"1970-01-01T00:00:00Z"}"#, Probe(text: nil, at: Date(timeIntervalSince1970: 0))),
        ])
    func decode(json: String, probe: Probe) throws {
        #expect(try WireJSON.decoder().decode(Probe.self, from: Data(json.utf8)) == probe)
    }

    @Test("a wire type with synthesized Codable keeps its nil fields as null")
    func wireType() throws {
        let share = Workers.WorkerShare(workerId: "w1", hostname: "h1", zone: nil, vmCount: 0, vms: [])
        let json = String(decoding: try WireJSON.encoder().encode(share), as: UTF8.self)
        #expect(json == #"{"hostname":"h1","vm_count":0,"vms":[],"worker_id":"w1","zone":null}"#)
    }
}
