import FlotillaCore
import Hummingbird

/// The query of surface A's `GET /instances`, parsed in full before the registry is read (ADR 0012): `page`
/// (1...1,000,000, default 1), `pageSize` (1...500, default 50), `backend`, `state` and `labels=k=v,k2=v2`.
struct ComputeListQuery: Sendable {
    var page: Int
    var pageSize: Int
    var backend: BackendKind?
    var states: Set<InstanceState>?
    var selector: [String: String]

    static func parse(_ request: Request) throws -> ComputeListQuery {
        ComputeListQuery(
            page: try request.queryInt("page", default: 1, range: 1...1_000_000),
            pageSize: try request.queryInt("pageSize", default: 50, range: 1...500),
            backend: try request.query("backend").map { try ComputeMapping.backend($0) },
            states: try request.query("state").map { try ComputeMapping.states(forFilter: $0) },
            selector: try ComputeMapping.labelSelector(request.query("labels")))
    }

    /// Whether every live instance passes (the listing's total is then the registry's count).
    var isUnfiltered: Bool { backend == nil && states == nil && selector.isEmpty }

    /// Whether `instance` passes the filters.
    func admits(_ instance: Instance) -> Bool {
        (backend == nil || instance.backend == backend) && (states?.contains(instance.state) ?? true)
            && selector.allSatisfy { instance.spec.labels[$0.key] == $0.value }
    }
}
