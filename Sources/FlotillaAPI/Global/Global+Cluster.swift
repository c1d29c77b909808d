import Foundation

extension Global {
    /// `GET /api/v2/cluster`.
    public struct Cluster: Codable, Sendable, Equatable {
        public struct Member: Codable, Sendable, Equatable {
            public var id: String
            public var address: String
            public var zone: String?
            /// `leader` or `follower`.
            public var role: String
            public var healthy: Bool
            /// `active`, `draining` or `offline`.
            public var status: String
            public init(id: String, address: String, zone: String?, role: String, healthy: Bool, status: String) {
                self.id = id
                self.address = address
                self.zone = zone
                self.role = role
                self.healthy = healthy
                self.status = status
            }
        }
        public struct Leader: Codable, Sendable, Equatable {
            public var id: String
            /// The leader's term: the store revision its leadership began at (its fencing token).
            public var term: Int64
            public var since: Date
            public init(id: String, term: Int64, since: Date) {
                self.id = id
                self.term = term
                self.since = since
            }
        }
        public struct Store: Codable, Sendable, Equatable {
            public var kind: String
            public var healthy: Bool
            public var revision: Int64?
            public var oldestRevision: Int64?
            /// Implementation facts (etcd: members, leader, raft term); an `error` when it did not answer.
            public var details: [String: String]
            enum CodingKeys: String, CodingKey {
                case kind, healthy, revision, details
                case oldestRevision = "oldest_revision"
            }
            public init(kind: String, healthy: Bool, revision: Int64?, oldestRevision: Int64?, details: [String: String]) {
                self.kind = kind
                self.healthy = healthy
                self.revision = revision
                self.oldestRevision = oldestRevision
                self.details = details
            }
        }
        public var members: [Member]
        @NullEncoded public var leader: Leader?
        public var store: Store
        /// The host that answered.
        public var servedBy: String
        enum CodingKeys: String, CodingKey {
            case members, leader, store
            case servedBy = "served_by"
        }
        public init(members: [Member], leader: Leader?, store: Store, servedBy: String) {
            self.members = members
            self.leader = leader
            self.store = store
            self.servedBy = servedBy
        }
    }

    /// One server-sent event's `data` of `GET /api/v2/events` (its `id` is `revision`, its `event` is `type`).
    public struct Event: Codable, Sendable, Equatable {
        public struct InstanceRef: Codable, Sendable, Equatable {
            public var id: String
            public var name: String
            public var state: String
            public var desired: String
            public var host: String?
            public init(id: String, name: String, state: String, desired: String, host: String?) {
                self.id = id
                self.name = name
                self.state = state
                self.desired = desired
                self.host = host
            }
        }
        public var revision: Int64
        public var type: String
        public var instanceId: String?
        public var instance: InstanceRef?
        public var previousState: String?
        public var workerId: String?
        public var term: Int64?
        enum CodingKeys: String, CodingKey {
            case revision, type, instance, term
            case instanceId = "instance_id"
            case previousState = "previous_state"
            case workerId = "worker_id"
        }
        public init(
            revision: Int64, type: String, instanceId: String? = nil, instance: InstanceRef? = nil, previousState: String? = nil,
            workerId: String? = nil, term: Int64? = nil
        ) {
            self.revision = revision
            self.type = type
            self.instanceId = instanceId
            self.instance = instance
            self.previousState = previousState
            self.workerId = workerId
            self.term = term
        }
    }
}
