import FlotillaAPI

extension OutputFormatter {
    /// `flotilla audit`: one line per recorded call, oldest first, and how to get the next page.
    public static func auditPage(_ page: Global.AuditPage) -> String {
        if page.records.isEmpty { return "No audit records.\n" }
        let table = TableRenderer(
            headers: ["TIME", "KEY", "ROLE", "FROM", "METHOD", "ROUTE", "TARGET", "STATUS", "REQUEST"],
            rows: page.records.map { r in
                [
                    timestamp(r.at), r.keyName.map { "\($0) (\(r.keyId ?? "-"))" } ?? "-", r.role ?? "-", r.remoteAddress, r.method,
                    r.route, r.targetId ?? "-", String(r.status), r.requestId,
                ]
            }
        ).render()
        guard let next = page.nextCursor else { return table }
        return table + "More: --cursor \(next) (or --all)\n"
    }
}
