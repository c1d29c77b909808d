import ArgumentParser
import FlotillaClient

/// `flotilla audit`: the audit trail (admins only; ADR 0018).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit trail: every mutating call and every refusal, oldest first (admin key).")

    /// Not `--key`: that is the client certificate's private key (``ClientOptions``).
    @Option(name: .customLong("by-key"), help: "Only calls made with this API key (its id or name).")
    var byKey: String?
    @Option(help: "Only calls on this instance, VM or other id.")
    var target: String?
    @Option(help: "Only calls at or after this RFC 3339 time, e.g. 2026-01-02T03:04:05Z.")
    var since: String?
    @Option(help: "Records a page, 1 to 1000 (server default 100).")
    var limit: Int?
    @Option(help: "Start after this cursor (a previous page's next_cursor).")
    var cursor: String?
    @Flag(help: "Follow the cursors: every page, not only the first.")
    var all = false
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if let limit, !(1...1000).contains(limit) { throw ValidationError("--limit must be from 1 to 1000") }
        if all && cursor != nil { throw ValidationError("--all starts at the first page: leave out --cursor") }
    }

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let page =
                all
                ? try await api.auditAll(key: byKey, target: target, since: since, limit: limit)
                : try await api.audit(key: byKey, target: target, since: since, limit: limit, cursor: cursor)
            try ClientRunner.emit(page, client, table: OutputFormatter.auditPage)
        }
    }
}
