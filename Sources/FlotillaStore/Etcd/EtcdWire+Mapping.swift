import FlotillaCore
import Foundation

/// The one place where domain values become etcd wire values and back.
extension EtcdWire {
    /// The key bytes of a domain key (UTF-8).
    static func key(_ key: String) -> Data { Data(key.utf8) }

    /// etcd's range end for "every key that starts with `prefix`": the prefix with its last byte incremented,
    /// after dropping trailing 0xFF bytes (which UTF-8 never produces); `\0` (every key) for the empty prefix.
    static func prefixEnd(_ prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }

    /// The lower bound of a prefix range: the prefix itself, or `\0` for the empty prefix (every key).
    static func prefixStart(_ prefix: String) -> Data {
        prefix.isEmpty ? Data([0]) : key(prefix)
    }

    static func rangeRequest(prefix: String) -> RangeRequest {
        RangeRequest(key: prefixStart(prefix), range_end: prefixEnd(prefix))
    }

    static func compare(_ compare: FlotillaCore.Compare) -> Compare {
        let result: String
        switch compare.op {
        case .equal: result = "EQUAL"
        case .notEqual: result = "NOT_EQUAL"
        case .less: result = "LESS"
        case .greater: result = "GREATER"
        }
        var wire = Compare(result: result, target: "", key: key(compare.key))
        switch compare.target {
        case .value(let value):
            wire.target = "VALUE"
            wire.value = value
        case .version(let version):
            wire.target = "VERSION"
            wire.version = Int64String(version)
        case .createRevision(let revision):
            wire.target = "CREATE"
            wire.create_revision = Int64String(revision)
        case .modRevision(let revision):
            wire.target = "MOD"
            wire.mod_revision = Int64String(revision)
        }
        return wire
    }

    static func requestOp(_ op: TxnOp) -> RequestOp {
        switch op {
        case .put(let k, let value, let lease):
            return RequestOp(request_put: PutRequest(key: key(k), value: value, lease: lease.map { Int64String($0.rawValue) }))
        case .delete(let k):
            return RequestOp(request_delete_range: DeleteRangeRequest(key: key(k)))
        case .deletePrefix(let prefix):
            return RequestOp(request_delete_range: DeleteRangeRequest(key: prefixStart(prefix), range_end: prefixEnd(prefix)))
        case .get(let k):
            return RequestOp(request_range: RangeRequest(key: key(k)))
        case .range(let prefix):
            return RequestOp(request_range: rangeRequest(prefix: prefix))
        }
    }

    /// Whether an op writes (a txn of reads only may be sent again safely).
    static func writes(_ op: TxnOp) -> Bool {
        switch op {
        case .put, .delete, .deletePrefix: return true
        case .get, .range: return false
        }
    }

    /// The result of one op, given the op that produced it.
    static func opResult(_ op: TxnOp, _ response: ResponseOp) throws(EtcdError) -> TxnOpResult {
        switch op {
        case .put:
            guard response.response_put != nil else { throw mismatch(op) }
            return .put
        case .delete, .deletePrefix:
            guard let delete = response.response_delete_range else { throw mismatch(op) }
            return .delete(deleted: Int(delete.deleted?.value ?? 0))
        case .get:
            guard let range = response.response_range else { throw mismatch(op) }
            return .get(try range.kvs?.first.map(keyValue))
        case .range:
            guard let range = response.response_range else { throw mismatch(op) }
            return .range(try (range.kvs ?? []).map(keyValue))
        }
    }

    private static func mismatch(_ op: TxnOp) -> EtcdError {
        .malformed(endpoint: "-", cause: "txn response does not match its operation \(op)")
    }

    static func keyValue(_ kv: KeyValue) throws(EtcdError) -> FlotillaCore.KeyValue {
        let lease = kv.lease?.value ?? 0
        return FlotillaCore.KeyValue(
            key: try text(kv.key ?? Data()), value: kv.value ?? Data(),
            createRevision: kv.create_revision?.value ?? 0, modRevision: kv.mod_revision?.value ?? 0,
            version: kv.version?.value ?? 0, lease: lease == 0 ? nil : LeaseID(lease))
    }

    /// A watch event. For a delete, etcd sends the key and the delete's revision as `mod_revision`, every
    /// other field zero: exactly the port's shape of a delete event.
    static func watchEvent(_ event: Event) throws(EtcdError) -> WatchEvent {
        let kv = try keyValue(event.kv ?? KeyValue())
        return event.type == "DELETE"
            ? WatchEvent(
                kind: .delete,
                kv: FlotillaCore.KeyValue(key: kv.key, value: Data(), createRevision: 0, modRevision: kv.modRevision, version: 0))
            : WatchEvent(kind: .put, kv: kv)
    }

    private static func text(_ bytes: Data) throws(EtcdError) -> String {
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw EtcdError.malformed(endpoint: "-", cause: "a key is not UTF-8")
        }
        return text
    }

    /// etcd's lease TTLs are whole seconds: round up, so a lease never lives shorter than asked.
    static func ttlSeconds(_ ttl: Duration) -> Int64 {
        let (seconds, attoseconds) = ttl.components
        return attoseconds > 0 ? seconds + 1 : seconds
    }
}
