/// Why an import into a store stopped (a file that is not a usable export is a ``StoreExportError``).
public enum StoreImportError: Error, Equatable, CustomStringConvertible {
    /// The target holds keys: an import needs an empty store. Nothing was written.
    case targetNotEmpty(keys: Int, kind: String)
    /// A key of the export appeared in the target during the import (another writer uses it); `written` keys
    /// were written before.
    case keyAppeared(String, written: Int)

    public var description: String {
        switch self {
        case .targetNotEmpty(let keys, let kind):
            return "the target \(kind) store holds \(keys) key\(keys == 1 ? "" : "s"): an import needs an empty store; nothing was written"
        case .keyAppeared(let key, let written):
            return "key \(key) appeared in the target during the import (another writer is using the store); "
                + "\(written) keys were written before: empty the store and import again"
        }
    }
}
