public import Foundation

/// One call recorded in the audit trail (ADR 0018): who made it (the key's id, name and role, never its
/// secret), from where, on which route and target, with which outcome, under which request id.
public struct AuditRecord: Sendable, Codable, Equatable, Hashable, Identifiable {
    /// A ULID: records sort by the time they were made, so a bucket's key range is chronological.
    public var id: String
    public var at: Date
    /// The request id the caller got back as `X-Request-Id`.
    public var requestId: String
    /// The caller's key, when the request named a known one (also for 403 and 429).
    public var keyId: String?
    public var keyName: String?
    public var role: Role?
    /// `address:port` of the client's connection, `unknown` when the transport has none.
    public var remoteAddress: String
    /// `compute`, `vms`, `workers`, `flintlock` (its HTTP gateway) or `grpc` (surface E's gRPC port).
    public var surface: String
    /// The HTTP method, or `RPC` for a gRPC call.
    public var method: String
    /// The route template (`/api/v1/compute/instances/:id/start`) or the gRPC method's full name.
    public var route: String
    /// The instance, VM, key, worker, flavor or image the route's `:id` (or the RPC) names.
    public var targetId: String?
    /// The status the caller got (HTTP status; for gRPC the HTTP status of the code it answered).
    public var status: Int

    public init(
        id: String, at: Date, requestId: String, keyId: String? = nil, keyName: String? = nil, role: Role? = nil,
        remoteAddress: String, surface: String, method: String, route: String, targetId: String? = nil, status: Int
    ) {
        self.id = id
        self.at = at
        self.requestId = requestId
        self.keyId = keyId
        self.keyName = keyName
        self.role = role
        self.remoteAddress = remoteAddress
        self.surface = surface
        self.method = method
        self.route = route
        self.targetId = targetId
        self.status = status
    }

    /// The hour bucket the record is stored under (``StoreKeys/auditRecord(hour:id:)``).
    public var hour: Int { AuditRecord.hour(of: at) }

    /// Whole hours since 1970 of `date`: the audit trail's bucket.
    public static func hour(of date: Date) -> Int { Int((date.timeIntervalSince1970 / 3600).rounded(.down)) }

    /// The start of an hour bucket.
    public static func start(ofHour hour: Int) -> Date { Date(timeIntervalSince1970: TimeInterval(hour) * 3600) }
}
