import HTTPTypes

/// One HTTP request series as the request gives it: Hummingbird's endpoint path (a route template, `NotFound`, or
/// nil), the method and the status. The labels (route, surface, method) are made from it once, when its series is
/// made: hashing this costs less than rebuilding the route label on every request (docs/decisions/0021-metrics.md).
/// Its values stay bounded: endpoint paths are registered templates, methods outside the common set share `other`'s
/// series only in their labels, and a client cannot send a method Hummingbird's parser does not accept.
struct RequestKey: Hashable, Sendable {
    var endpointPath: String?
    var method: HTTPRequest.Method
    var status: Int
}
