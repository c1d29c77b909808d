import FlotillaTLS
import Foundation

/// The identity of a data folder (ADR 0010): a random id made the first time a host starts on the folder and
/// kept in `<data-dir>/node-key` (mode 0600). `Membership` writes it into every heartbeat, so a restart of the
/// same host (same folder) is the same node, and another folder under the same `--host-id` is another one.
enum NodeKey {
    /// The node key of `dataDir` (an existing folder), made and stored on first use.
    static func resolve(dataDir: String) throws -> String {
        let path = dataDir + "/node-key"
        if let existing = try OwnerOnlyFile.read(path, what: "node key") { return existing }
        let key = UUID().uuidString.lowercased()
        try OwnerOnlyFile.save(key, to: path, what: "node key")
        return key
    }
}
