import FlotillaCore
import Foundation

/// The JSON `flotilla.apply` takes and returns (``PostgresSchema``): a batch of transactions in, one outcome each
/// out, in order. Values travel as base64.
///
/// In: `[{"c": [compare], "t": [op], "e": [op]}]` with a compare `{"k", "t": value|version|create|mod,
/// "o": =|!=|<|>, "v"}` and an op `{"o": put|del|delp|get|range, "k", "v"?, "l"?, "e"?}` (`e`: the exclusive end of
/// a prefix, absent for none).
/// Out: `[{"ok", "rev", "r": [{"put"} | {"deleted": n} | {"kv": kv|null} | {"kvs": [kv]}]} | {"lease": id}]` with a kv
/// `{"k", "v", "c", "m", "n", "l"}`; `{"lease": id}` says the transaction put a key on a lease that is not live and
/// wrote nothing.
enum PostgresTxnWire {
    /// One transaction of a batch.
    struct Txn: Sendable {
        var compares: [Compare]
        var then: [TxnOp]
        var otherwise: [TxnOp]
    }

    /// What one transaction of a batch came to.
    enum Outcome: Sendable, Equatable {
        case done(TxnResult)
        case leaseNotFound(LeaseID)
    }

    static func encode(_ batch: [Txn]) throws -> String {
        let json: [[String: Any]] = batch.map { txn in
            ["c": txn.compares.map(compare), "t": txn.then.map(op), "e": txn.otherwise.map(op)]
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
    }

    static func decode(_ text: String, count: Int) throws -> [Outcome] {
        guard let outcomes = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], outcomes.count == count else {
            throw StoreError.unavailable("postgres: flotilla.apply answered \(text.prefix(200))")
        }
        return try outcomes.map { outcome in
            if let lease = outcome["lease"] as? NSNumber { return .leaseNotFound(LeaseID(lease.int64Value)) }
            guard let ok = (outcome["ok"] as? NSNumber)?.boolValue, let revision = outcome["rev"] as? NSNumber,
                let results = outcome["r"] as? [[String: Any]]
            else { throw StoreError.unavailable("postgres: malformed transaction outcome \(outcome)") }
            return .done(TxnResult(succeeded: ok, revision: revision.int64Value, results: try results.map(result)))
        }
    }

    /// A key as `kv_json` writes it.
    static func keyValue(_ json: [String: Any]) throws -> KeyValue {
        guard let key = json["k"] as? String, let value = (json["v"] as? String).flatMap(base64),
            let create = json["c"] as? NSNumber, let mod = json["m"] as? NSNumber, let version = json["n"] as? NSNumber
        else { throw StoreError.unavailable("postgres: malformed key \(json)") }
        return KeyValue(
            key: key, value: value, createRevision: create.int64Value, modRevision: mod.int64Value, version: version.int64Value,
            lease: (json["l"] as? NSNumber).map { LeaseID($0.int64Value) })
    }

    private static func result(_ json: [String: Any]) throws -> TxnOpResult {
        if json["put"] != nil { return .put }
        if let deleted = json["deleted"] as? NSNumber { return .delete(deleted: deleted.intValue) }
        if let kvs = json["kvs"] as? [[String: Any]] { return .range(try kvs.map(keyValue)) }
        if let kv = json["kv"] {
            if kv is NSNull { return .get(nil) }
            guard let object = kv as? [String: Any] else { throw StoreError.unavailable("postgres: malformed get \(json)") }
            return .get(try keyValue(object))
        }
        throw StoreError.unavailable("postgres: malformed operation result \(json)")
    }

    private static func compare(_ compare: Compare) -> [String: Any] {
        let (target, value): (String, Any) =
            switch compare.target {
            case .value(let data): ("value", data.base64EncodedString())
            case .version(let version): ("version", NSNumber(value: version))
            case .createRevision(let revision): ("create", NSNumber(value: revision))
            case .modRevision(let revision): ("mod", NSNumber(value: revision))
            }
        let op =
            switch compare.op {
            case .equal: "="
            case .notEqual: "!="
            case .less: "<"
            case .greater: ">"
            }
        return ["k": compare.key, "t": target, "o": op, "v": value]
    }

    private static func op(_ op: TxnOp) -> [String: Any] {
        switch op {
        case .put(let key, let value, let lease):
            var json: [String: Any] = ["o": "put", "k": key, "v": value.base64EncodedString()]
            if let lease { json["l"] = NSNumber(value: lease.rawValue) }
            return json
        case .delete(let key): return ["o": "del", "k": key]
        case .deletePrefix(let prefix): return prefixOp("delp", prefix)
        case .get(let key): return ["o": "get", "k": key]
        case .range(let prefix): return prefixOp("range", prefix)
        }
    }

    private static func prefixOp(_ name: String, _ prefix: String) -> [String: Any] {
        var json: [String: Any] = ["o": name, "k": prefix]
        if let end = prefix.prefixUpperBound { json["e"] = end }
        return json
    }

    private static func base64(_ text: String) -> Data? { Data(base64Encoded: text, options: .ignoreUnknownCharacters) }
}
