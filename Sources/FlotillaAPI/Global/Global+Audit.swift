import Foundation

extension Global {
    /// `GET /api/v2/audit`: one page of the audit trail, oldest first (ADR 0018). snake_case, as all of surface D.
    public struct AuditPage: Codable, Sendable, Equatable {
        public var records: [AuditEntry]
        /// Pass as `cursor` for the next page; absent when nothing follows. A full page always has one (the next
        /// page may be empty).
        public var nextCursor: String?
        enum CodingKeys: String, CodingKey {
            case records
            case nextCursor = "next_cursor"
        }
        public init(records: [AuditEntry], nextCursor: String?) {
            self.records = records
            self.nextCursor = nextCursor
        }
    }

    /// One recorded call. Never a secret: the key by its id and name only.
    public struct AuditEntry: Codable, Sendable, Equatable {
        public var id: String
        public var at: Date
        public var requestId: String
        public var keyId: String?
        public var keyName: String?
        /// `admin`, `operator` or `reader`; absent when the call named no known key.
        public var role: String?
        public var remoteAddress: String
        /// `compute`, `workers`, `vms`, `global`, `keys`, `flintlock` or `grpc`.
        public var surface: String
        public var method: String
        /// The route template, e.g. `/api/v1/compute/instances/:id/start`, or the gRPC method.
        public var route: String
        public var targetId: String?
        public var status: Int
        enum CodingKeys: String, CodingKey {
            case id, at, role, surface, method, route, status
            case requestId = "request_id"
            case keyId = "key_id"
            case keyName = "key_name"
            case remoteAddress = "remote_address"
            case targetId = "target_id"
        }
        public init(
            id: String, at: Date, requestId: String, keyId: String?, keyName: String?, role: String?, remoteAddress: String,
            surface: String, method: String, route: String, targetId: String?, status: Int
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
    }
}
