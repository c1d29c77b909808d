import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla events --follow` as a subprocess against a real `flotilla serve` (SQLite, sim) that is killed
/// (SIGKILL) and started again on the same port and data folder.
@Suite("flotilla events --follow as a process", .serialized)
struct EventsFollowProcessTests {
    /// A `flotilla events` process whose standard output and error are collected as they come.
    final class Follower: Sendable {
        let process: Process
        let out = LockedBox("")
        let err = LockedBox("")

        init(url: String, apiKey: String, arguments: [String]) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            env["FLOTILLA_URL"] = url
            env["FLOTILLA_API_KEY"] = apiKey
            process.environment = env
            for (pipe, box) in [(Pipe(), out), (Pipe(), err)] {
                if box === out { process.standardOutput = pipe } else { process.standardError = pipe }
                pipe.fileHandleForReading.readabilityHandler = { handle in
                    let data = handle.availableData
                    if data.isEmpty { handle.readabilityHandler = nil; return }
                    box.withLock { $0 += String(decoding: data, as: UTF8.self) }
                }
            }
            try process.run()
        }

        /// The events of the complete lines printed so far.
        func events() throws -> [Global.Event] {
            let lines = out.withLock { $0 }.components(separatedBy: "\n").dropLast()
            return try lines.map { try WireJSON.decoder().decode(Global.Event.self, from: Data($0.utf8)) }
        }

        func stop() async {
            if process.isRunning { kill(process.processIdentifier, SIGINT) }
            await process.exits(within: .seconds(10), every: .milliseconds(20))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// Reads the host's log from revision 0 through the API, `count` events (the server ends the stream there).
    static func log(_ host: ServeProcess, count: Int) async throws -> [Global.Event] {
        try await FlotillaClient.withClient(baseURL: host.url, apiKey: host.apiKey, timeout: .seconds(30)) { api in
            var events: [Global.Event] = []
            try await api.streamEvents(since: 0, limit: count) { item in
                if case .event(let e) = item { events.append(e) }
            }
            return events
        }
    }

    @Test("a SIGKILLed and restarted host: every event of the log printed once, in order; the outage told once")
    func survivesRestart() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("events")
            let first = try await stack.serve(dataDir: dir)
            let port = try #require(first.url.split(separator: ":").last.map(String.init))
            let follower = try Follower(
                url: first.url, apiKey: first.apiKey, arguments: ["events", "--follow", "--since", "0", "--output", "json"])
            await stack.push("events follower") { await follower.stop() }

            let api = FlotillaClient(baseURL: first.url, apiKey: first.apiKey, timeout: .seconds(90))
            var ids: [String] = []
            for i in 0..<3 {
                ids.append(try await api.createGlobalVM(.init(name: "ev-\(i)", backend: "sim", image: "busybox"), waitRunning: true).id)
            }
            _ = try await api.fleetAction("stop", id: ids[0], wait: true)
            let before = try await api.fleetDelete(id: ids[1], wait: true).vm
            try await eventually("the follower printed the changes before the kill", timeout: .seconds(30)) {
                (try follower.events().last?.revision ?? 0) >= before.revisions.modified
            }

            _ = await first.stop(signal: SIGKILL)
            try await eventually("the follower says the stream was lost", timeout: .seconds(30)) {
                follower.err.withLock { $0.contains("lost the event stream") }
            }
            let second = try await stack.serve(dataDir: dir, extra: ["--listen", "127.0.0.1:\(port)"])
            #expect(second.url == first.url)
            let again = FlotillaClient(baseURL: second.url, apiKey: second.apiKey, timeout: .seconds(90))
            let late = try await again.createGlobalVM(.init(name: "ev-late", backend: "sim", image: "busybox"), waitRunning: true)
            _ = try await again.fleetAction("stop", id: ids[2], wait: true)
            let marker = try await again.fleetDelete(id: late.id, wait: true).vm
            try await eventually("the follower printed the deletion of ev-late", timeout: .seconds(60)) {
                try follower.events().contains { $0.instanceId == marker.id && $0.type == "instance.deleted" }
            }
            await follower.stop()

            let printed = try follower.events()
            let log = try await Self.log(second, count: printed.count)
            func key(_ e: Global.Event) -> String { "\(e.revision) \(e.instanceId ?? e.workerId ?? "-")" }
            // Types may differ after a resume (the first change of an instance seen by a new stream is
            // instance.updated); revisions and subjects may not. A missed or repeated event shifts the list.
            #expect(printed.map(key) == log.map(key), "the CLI printed the host's log, each event once, in order")
            #expect(zip(printed, printed.dropFirst()).allSatisfy { $0.revision <= $1.revision })
            #expect(printed.contains { $0.instanceId == ids[1] && $0.type == "instance.deleted" })
            #expect(printed.contains { $0.instanceId == late.id && $0.type == "instance.created" })
            let err = follower.err.withLock { $0 }
            #expect(err.components(separatedBy: "lost the event stream").count == 2, "told once: \(err)")
            #expect(err.components(separatedBy: "reconnected").count == 2, "told once: \(err)")
        }
    }

    @Test("without --follow: what the log holds (or what follows --since) in text or JSON, then exit 0")
    func once() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("events"))
            let made = try await host.cli(["fleet", "create", "once-1", "--backend", "sim", "--image", "busybox", "--wait"])
            #expect(made.status == 0, "\(made.err)")
            let json = try await host.cli(["events", "--output", "json"])
            #expect(json.status == 0, "\(json.err)")
            let events = try json.out.split(separator: "\n").map { try WireJSON.decoder().decode(Global.Event.self, from: Data($0.utf8)) }
            #expect(events.contains { $0.type == "instance.created" && $0.instance?.name == "once-1" })
            #expect(events.contains { $0.type == "worker.registered" })
            let log = try await Self.log(host, count: events.count)
            #expect(log.map(\.revision) == events.map(\.revision))
            let text = try await host.cli(["events", "--since", String(try #require(events.first?.revision))])
            #expect(text.status == 0, "\(text.err)")
            let first = try #require(events.first?.revision)
            #expect(text.out.split(separator: "\n").count == events.filter { $0.revision > first }.count, "after --since: \(text.out)")
            #expect(text.out.contains("instance.created  once-1 ("), "\(text.out)")
        }
    }
}
