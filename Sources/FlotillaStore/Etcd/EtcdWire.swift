import Foundation

/// Codable types of etcd's v3 JSON gateway (grpc-gateway over etcdserverpb). Only the fields Flotilla uses.
///
/// Conventions of the gateway: `bytes` fields are base64 (Foundation's `Data` coding), 64-bit integers are
/// JSON strings, and fields at their default value (0, false, empty, the first enum case) are omitted.
/// Mapping to and from the domain types lives in `EtcdWire+Mapping.swift`, nowhere else.
enum EtcdWire {
    /// An int64 or uint64 the gateway writes as a string (and that may be absent, meaning 0).
    struct Int64String: Codable, Sendable, Equatable {
        var value: Int64
        init(_ value: Int64) { self.value = value }
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self), let number = Int64(text) {
                value = number
            } else {
                value = try container.decode(Int64.self)
            }
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(String(value))
        }
    }

    /// A uint64 identifier (member IDs use the whole unsigned range), kept as its decimal text.
    struct UInt64String: Decodable, Sendable, Equatable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self.text = text
            } else {
                text = String(try container.decode(UInt64.self))
            }
        }
    }

    struct ResponseHeader: Decodable, Sendable {
        var cluster_id: UInt64String?
        var member_id: UInt64String?
        var revision: Int64String?
        var raft_term: Int64String?
    }

    struct KeyValue: Decodable, Sendable {
        var key: Data?
        var create_revision: Int64String?
        var mod_revision: Int64String?
        var version: Int64String?
        var value: Data?
        var lease: Int64String?
    }

    // MARK: KV

    struct RangeRequest: Encodable, Sendable {
        var key: Data
        var range_end: Data?
        var revision: Int64String?
        var limit: Int64String?
        var count_only: Bool?
        var keys_only: Bool?
    }

    struct RangeResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var kvs: [KeyValue]?
        var count: Int64String?
        /// Whether keys past the request's limit remain.
        var more: Bool?
    }

    struct PutRequest: Encodable, Sendable {
        var key: Data
        var value: Data
        var lease: Int64String?
    }

    struct PutResponse: Decodable, Sendable {
        var header: ResponseHeader?
    }

    struct DeleteRangeRequest: Encodable, Sendable {
        var key: Data
        var range_end: Data?
    }

    struct DeleteRangeResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var deleted: Int64String?
    }

    struct Compare: Encodable, Sendable {
        /// `EQUAL`, `GREATER`, `LESS`, `NOT_EQUAL`.
        var result: String
        /// `VERSION`, `CREATE`, `MOD`, `VALUE`.
        var target: String
        var key: Data
        var version: Int64String?
        var create_revision: Int64String?
        var mod_revision: Int64String?
        var value: Data?
    }

    /// One operation of a txn branch: exactly one field is set.
    struct RequestOp: Encodable, Sendable {
        var request_range: RangeRequest?
        var request_put: PutRequest?
        var request_delete_range: DeleteRangeRequest?
    }

    struct TxnRequest: Encodable, Sendable {
        var compare: [Compare]
        var success: [RequestOp]
        var failure: [RequestOp]
    }

    struct ResponseOp: Decodable, Sendable {
        var response_range: RangeResponse?
        var response_put: PutResponse?
        var response_delete_range: DeleteRangeResponse?
    }

    struct TxnResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var succeeded: Bool?
        var responses: [ResponseOp]?
    }

    struct CompactionRequest: Encodable, Sendable {
        var revision: Int64String
        var physical: Bool?
    }

    struct CompactionResponse: Decodable, Sendable {
        var header: ResponseHeader?
    }

    // MARK: Lease

    struct LeaseGrantRequest: Encodable, Sendable {
        var TTL: Int64String
        var ID: Int64String?
    }

    struct LeaseGrantResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var ID: Int64String?
        var TTL: Int64String?
        var error: String?
    }

    struct LeaseIDRequest: Encodable, Sendable {
        var ID: Int64String
    }

    struct LeaseRevokeResponse: Decodable, Sendable {
        var header: ResponseHeader?
    }

    /// How the gateway wraps each message of a server-streaming call (watch).
    struct StreamMessage<Result: Decodable & Sendable>: Decodable, Sendable {
        var result: Result?
        var error: StreamError?
    }

    struct StreamError: Decodable, Sendable {
        var grpc_code: Int?
        var http_code: Int?
        var message: String?
    }

    // MARK: Watch

    struct WatchCreateRequest: Encodable, Sendable {
        var key: Data
        var range_end: Data?
        var start_revision: Int64String?
    }

    struct WatchRequest: Encodable, Sendable {
        var create_request: WatchCreateRequest
    }

    struct Event: Decodable, Sendable {
        /// Absent for PUT (the default), `DELETE` for deletes.
        var type: String?
        var kv: KeyValue?
    }

    struct WatchResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var watch_id: Int64String?
        var created: Bool?
        var canceled: Bool?
        var compact_revision: Int64String?
        var cancel_reason: String?
        var events: [Event]?
    }

    // MARK: Maintenance and cluster

    struct Empty: Encodable, Sendable {}

    struct StatusResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var version: String?
        var dbSize: Int64String?
        var leader: UInt64String?
        var raftIndex: Int64String?
        var raftTerm: Int64String?
        var errors: [String]?
    }

    struct Member: Decodable, Sendable {
        var ID: UInt64String?
        var name: String?
        var clientURLs: [String]?
        var isLearner: Bool?
    }

    struct MemberListResponse: Decodable, Sendable {
        var header: ResponseHeader?
        var members: [Member]?
    }

    /// The body of a failed unary call.
    struct ErrorBody: Decodable, Sendable {
        var error: String?
        var message: String?
        var code: Int?
    }
}
