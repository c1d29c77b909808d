import FlotillaCore
import Foundation

extension VMs {
    /// Every error of surface C except validation and auth: `{"error","message","details","timestamp"}`.
    public struct ErrorBody: Codable, Sendable, Equatable {
        public var error: String
        public var message: String
        public var details: [String: JSONValue]
        public var timestamp: Date
        public init(error: String, message: String, details: [String: JSONValue], timestamp: Date) {
            self.error = error
            self.message = message
            self.details = details
            self.timestamp = timestamp
        }
    }

    /// Surface C's error vocabulary: the `error` names its bodies use where they are not a core code's own name
    /// (``ErrorBody`` and ``AuthErrorBody``). Every other `error` is a ``FlotillaError/Code`` raw value.
    public enum ErrorName: String, Sendable, CaseIterable {
        /// INSTANCE_NOT_FOUND, renamed.
        case vmNotFound = "VM_NOT_FOUND"
        /// INVALID_STATE, renamed.
        case invalidVMState = "INVALID_VM_STATE"
        /// 401: no key, or an unknown or expired one.
        case authentication = "AUTHENTICATION_ERROR"
        /// 403: a key whose role is too weak.
        case authorization = "AUTHORIZATION_ERROR"
    }

    /// The `type` of a ``ValidationIssue``: pydantic's name for each check surface C makes.
    public enum IssueType: String, Sendable, CaseIterable {
        case missing
        case valueError = "value_error"
        case enumeration = "enum"
        case stringType = "string_type"
        case stringTooShort = "string_too_short"
        case stringTooLong = "string_too_long"
        case stringPatternMismatch = "string_pattern_mismatch"
        case intType = "int_type"
        case intParsing = "int_parsing"
        case intFromFloat = "int_from_float"
        case greaterThanEqual = "greater_than_equal"
        case lessThanEqual = "less_than_equal"
        case boolType = "bool_type"
        case listType = "list_type"
        case dictType = "dict_type"
        case tooLong = "too_long"
        case jsonInvalid = "json_invalid"
        case modelAttributesType = "model_attributes_type"

        /// The `msg` of a ``missing`` issue.
        public static let fieldRequired = "Field required"
        /// The `msg` of a ``stringType`` issue.
        public static let validString = "Input should be a valid string"
    }

    /// One failed check of a request, shaped like FastAPI's (pydantic's) validation errors.
    public struct ValidationIssue: Codable, Sendable, Equatable {
        /// One of ``IssueType``: e.g. `missing`, `string_too_long`, `less_than_equal`, `enum`, `json_invalid`.
        public var type: String
        /// Where: `["body","name"]`, `["query","page_size"]`.
        public var loc: [JSONValue]
        public var msg: String
        /// The value that failed (null when there was none).
        public var input: JSONValue

        public init(type: String, loc: [JSONValue], msg: String, input: JSONValue = .null) {
            self.type = type
            self.loc = loc
            self.msg = msg
            self.input = input
        }

        public init(type: IssueType, loc: [JSONValue], msg: String, input: JSONValue = .null) {
            self.init(type: type.rawValue, loc: loc, msg: msg, input: input)
        }
    }

    /// 422: `{"detail":[{"type","loc","msg","input"}]}`.
    public struct ValidationErrorBody: Codable, Sendable, Equatable {
        public var detail: [ValidationIssue]
        public init(detail: [ValidationIssue]) { self.detail = detail }
    }

    /// 401 and 403: `{"detail":{"error","message","details"}}`.
    public struct AuthErrorBody: Codable, Sendable, Equatable {
        public struct Detail: Codable, Sendable, Equatable {
            public var error: String
            public var message: String
            public var details: String
            public init(error: String, message: String, details: String) {
                self.error = error
                self.message = message
                self.details = details
            }
        }
        public var detail: Detail
        public init(detail: Detail) { self.detail = detail }
    }

    /// `GET /api/v1/`.
    public struct Root: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var docs: String
        public var openapi: String
        public init(name: String, version: String, docs: String, openapi: String) {
            self.name = name
            self.version = version
            self.docs = docs
            self.openapi = openapi
        }
    }

    /// `GET /api/v1/health`.
    public struct Health: Codable, Sendable, Equatable {
        public struct Backend: Codable, Sendable, Equatable {
            /// `healthy` or `unhealthy`.
            public var status: String
            public var version: String
            public var reason: String?
            public init(status: String, version: String, reason: String?) {
                self.status = status
                self.version = version
                self.reason = reason
            }
        }

        public struct Cluster: Codable, Sendable, Equatable {
            public var hostId: String
            public var store: String
            public var revision: Int64
            public var leaderId: String?
            public var workers: Int
            public var activeWorkers: Int
            public var instances: Int
            public var vms: Int
            public init(
                hostId: String, store: String, revision: Int64, leaderId: String?, workers: Int, activeWorkers: Int,
                instances: Int, vms: Int
            ) {
                self.hostId = hostId
                self.store = store
                self.revision = revision
                self.leaderId = leaderId
                self.workers = workers
                self.activeWorkers = activeWorkers
                self.instances = instances
                self.vms = vms
            }
            enum CodingKeys: String, CodingKey {
                case hostId = "host_id"
                case store, revision
                case leaderId = "leader_id"
                case workers
                case activeWorkers = "active_workers"
                case instances, vms
            }
        }

        /// `healthy`, or `degraded` when the store or a local backend does not answer.
        public var status: String
        public var version: String
        public var timestamp: Date
        /// `connected` after a real round trip to the store, else `error: ...`.
        public var database: String
        public var backends: [String: Backend]
        public var cluster: Cluster

        public init(
            status: String, version: String, timestamp: Date, database: String, backends: [String: Backend],
            cluster: Cluster
        ) {
            self.status = status
            self.version = version
            self.timestamp = timestamp
            self.database = database
            self.backends = backends
            self.cluster = cluster
        }
    }
}
