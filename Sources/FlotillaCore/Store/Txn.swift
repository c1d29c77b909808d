public import Foundation

/// One condition of a transaction, as in etcd: compare a key's value, version or revisions.
/// A key that does not exist has value empty, version 0, createRevision 0 and modRevision 0.
public struct Compare: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case value(Data)
        case version(Int64)
        case createRevision(Revision)
        case modRevision(Revision)
    }
    public enum Op: Sendable, Equatable {
        case equal, notEqual, less, greater
    }

    public var key: String
    public var target: Target
    public var op: Op

    public init(key: String, target: Target, op: Op = .equal) {
        self.key = key
        self.target = target
        self.op = op
    }

    /// The key does not exist.
    public static func absent(_ key: String) -> Compare { Compare(key: key, target: .createRevision(0)) }
    /// The key was last written at `revision` (optimistic concurrency).
    public static func unchanged(_ key: String, since revision: Revision) -> Compare {
        Compare(key: key, target: .modRevision(revision))
    }
    /// The key holds exactly `value`.
    public static func holds(_ key: String, _ value: Data) -> Compare { Compare(key: key, target: .value(value)) }

    /// Whether this compare holds for `kv` (nil: the key does not exist). Shared by every store.
    public func evaluate(_ kv: KeyValue?) -> Bool {
        switch target {
        case .value(let expected):
            // etcd: a value compare against a missing key is false.
            guard let kv else { return false }
            let order = kv.value == expected ? 0 : (kv.value.lexicographicallyPrecedes(expected) ? -1 : 1)
            return Self.compare(order, op)
        case .version(let v): return Self.compare(Self.order(kv?.version ?? 0, v), op)
        case .createRevision(let r): return Self.compare(Self.order(kv?.createRevision ?? 0, r), op)
        case .modRevision(let r): return Self.compare(Self.order(kv?.modRevision ?? 0, r), op)
        }
    }

    private static func order(_ a: Int64, _ b: Int64) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
    private static func compare(_ order: Int, _ op: Op) -> Bool {
        switch op {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .greater: return order > 0
        }
    }
}

/// One operation of a transaction branch.
public enum TxnOp: Sendable, Equatable {
    case put(key: String, value: Data, lease: LeaseID?)
    case delete(key: String)
    case deletePrefix(String)
    case get(key: String)
    case range(prefix: String)

    public static func put(_ key: String, _ value: Data) -> TxnOp { .put(key: key, value: value, lease: nil) }
}

/// The result of one operation, in the order of the branch that ran.
public enum TxnOpResult: Sendable, Equatable {
    case put
    case delete(deleted: Int)
    case get(KeyValue?)
    case range([KeyValue])
}

/// The result of a transaction.
public struct TxnResult: Sendable, Equatable {
    /// True when every compare held and `then` ran.
    public var succeeded: Bool
    /// The store revision after the transaction (new if it wrote, else the current one).
    public var revision: Revision
    public var results: [TxnOpResult]
    public init(succeeded: Bool, revision: Revision, results: [TxnOpResult]) {
        self.succeeded = succeeded
        self.revision = revision
        self.results = results
    }
}
