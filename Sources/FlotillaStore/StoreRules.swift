import FlotillaCore

/// The rules every store adapter applies the same way, whatever its database.
enum StoreRules {
    /// etcd refuses a transaction branch that puts one key twice, or puts a key it also deletes; so do the
    /// SQLite and PostgreSQL stores.
    static func validate(_ ops: [TxnOp]) throws {
        var puts = Set<String>()
        var deletedKeys = Set<String>()
        var deletedPrefixes: [String] = []
        for op in ops {
            switch op {
            case .put(let key, _, _):
                guard puts.insert(key).inserted else {
                    throw StoreError.invalid("key \(key) is put more than once in one transaction")
                }
            case .delete(let key): deletedKeys.insert(key)
            case .deletePrefix(let prefix): deletedPrefixes.append(prefix)
            case .get, .range: break
            }
        }
        for key in puts where deletedKeys.contains(key) || deletedPrefixes.contains(where: { key.hasPrefix($0) }) {
            throw StoreError.invalid("key \(key) is both put and deleted in one transaction")
        }
    }

    /// `duration` in whole milliseconds (lease TTLs, server timeouts).
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
