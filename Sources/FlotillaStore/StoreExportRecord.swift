import FlotillaCore
import Foundation

/// One key line of a store export: a ``KeyValue`` as it is written, its value in base64.
struct StoreExportRecord: Codable, Equatable {
    var key: String
    var value: Data
    var createRevision: Revision
    var modRevision: Revision
    var version: Int64
    /// The lease the key was attached to in the source; absent when it had none.
    var lease: Int64?

    init(_ kv: KeyValue) {
        key = kv.key
        value = kv.value
        createRevision = kv.createRevision
        modRevision = kv.modRevision
        version = kv.version
        lease = kv.lease?.rawValue
    }

    var keyValue: KeyValue {
        KeyValue(
            key: key, value: value, createRevision: createRevision, modRevision: modRevision, version: version,
            lease: lease.map(LeaseID.init))
    }

    enum CodingKeys: String, CodingKey {
        case key, value, version, lease
        case createRevision = "create_revision"
        case modRevision = "mod_revision"
    }
}
