import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// `GET /api/v2/audit` (admins only): the audit trail, oldest first, filtered by `key` (id or name), `target` and
/// `since`, `limit` records a page, paged with `cursor` (ADR 0018). The query is parsed in full first (ADR 0012):
/// an unknown or malformed parameter is 400 VALIDATION_ERROR.
struct AuditRoute {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.get, "/api/v2/audit", permission: .manageKeys) { req, _ in
            let pairs = req.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let query = try AuditQuery.parse(pairs)
            let page: (records: [AuditRecord], next: AuditCursor?)
            do { page = try await AuditLog(store: deps.store).page(query) } catch {
                throw FlotillaError(.storeUnavailable, "The audit trail could not be read", cause: "\(error)")
            }
            return JSONResponse.make(Global.AuditPage(records: page.records.map(Self.wire), nextCursor: page.next?.encoded))
        }
    }

    static func wire(_ r: AuditRecord) -> Global.AuditEntry {
        Global.AuditEntry(
            id: r.id, at: r.at, requestId: r.requestId, keyId: r.keyId, keyName: r.keyName, role: r.role?.rawValue,
            remoteAddress: r.remoteAddress, surface: r.surface, method: r.method, route: r.route, targetId: r.targetId,
            status: r.status)
    }
}
