import FlotillaAPI

/// The audit trail (`GET /api/v2/audit`, admins only; ADR 0018).
extension FlotillaClient {
    /// One page, oldest first. `key` is a key's id or name; `since` an RFC 3339 time.
    public func audit(
        key: String? = nil, target: String? = nil, since: String? = nil, limit: Int? = nil, cursor: String? = nil
    ) async throws -> Global.AuditPage {
        var query: [RequestTarget.QueryItem] = []
        if let key { query.append(.init("key", key)) }
        if let target { query.append(.init("target", target)) }
        if let since { query.append(.init("since", since)) }
        if let limit { query.append(.init("limit", String(limit))) }
        if let cursor { query.append(.init("cursor", cursor)) }
        return try await send(.get, RequestTarget(Self.globalPath + ["audit"], query: query)).value
    }

    /// Every page from the first, following `next_cursor` until a page has none (or comes back empty).
    public func auditAll(key: String? = nil, target: String? = nil, since: String? = nil, limit: Int? = nil) async throws
        -> Global.AuditPage
    {
        var records: [Global.AuditEntry] = []
        var cursor: String?
        repeat {
            let page = try await audit(key: key, target: target, since: since, limit: limit, cursor: cursor)
            records += page.records
            cursor = page.records.isEmpty ? nil : page.nextCursor
        } while cursor != nil
        return Global.AuditPage(records: records, nextCursor: nil)
    }
}
