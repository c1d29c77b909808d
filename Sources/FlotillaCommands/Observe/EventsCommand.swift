import ArgumentParser
import FlotillaAPI
import FlotillaClient
import FlotillaCore
import Foundation

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print the cluster's lifecycle events (/api/v2/events), each once.",
        discussion: """
            Without --follow: the events the store still holds after --since (default: all of them) up to \
            now, then exit. With --follow: go on printing as they happen (from now, or after --since), until \
            Ctrl-C; a dropped connection or a restarted host is reconnected to (backoff 0.2 s to 5 s, for \
            ever), resuming after the last event printed, so none is missed or printed twice. Standard error \
            says once when the stream was lost and once when it is back. \
            Exit status 1 when --since is older than the oldest revision the store holds (REVISION_COMPACTED). \
            --output json prints one JSON object per line.
            """)

    @OptionGroup var client: ClientOptions

    @Option(help: "Only events after this revision.")
    var since: Int64?

    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing new events until interrupted.")
    var follow = false

    func validate() throws {
        if let since, since < 0 { throw ValidationError("--since must be a revision, 0 or more") }
    }

    func run() async throws {
        let options = client
        let (since, follow) = (since, follow)
        try await ClientRunner.run(options, timeout: .seconds(30)) { api in
            let printer = EventPrinter(json: options.output == .json)
            if follow {
                try await EventFollower(api: api, printer: printer).run(since: since)
            } else {
                try await Self.printPast(api, since: since, printer: printer)
            }
        }
    }

    /// The events after `since` (0 when nil; a compacted start then moves to the oldest revision held) up to
    /// the host's revision when the stream opened: the server ends the stream there (`until=now`).
    static func printPast(_ api: FlotillaClient, since: Int64?, printer: EventPrinter) async throws {
        do {
            try await printPast(api, after: since ?? 0, printer: printer)
        } catch FlotillaClientError.api(410, _, _, let details) where since == nil {
            guard case .int(let oldest)? = details?["oldestRevision"] else {
                throw FlotillaClientError.invalidRequest("no oldest revision")
            }
            try await printPast(api, after: max(0, oldest - 1), printer: printer)
        }
    }

    private static func printPast(_ api: FlotillaClient, after since: Int64, printer: EventPrinter) async throws {
        try await api.streamEvents(since: since, untilNow: true) { item in
            if case .event(let event) = item { try printer.print(event) }
        }
    }
}

/// Prints events to standard output, text or one JSON object per line. When standard output is closed (the
/// reader of a pipe went away, `| head`), the command ends with status 0.
struct EventPrinter: Sendable {
    var json: Bool

    func print(_ event: Global.Event) throws {
        let text = json ? try OutputFormatter.eventJSONLine(event) : OutputFormatter.eventLine(event, receivedAt: Date())
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            throw ExitCode.success
        }
    }
}
