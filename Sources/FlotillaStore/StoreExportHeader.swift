import FlotillaCore
import Foundation

/// The first line of a store export (docs/store-export.md): what the file is, the version of its format, and
/// what it holds.
public struct StoreExportHeader: Codable, Sendable, Equatable {
    /// Always ``StoreExport/formatName``.
    public var format: String
    /// The version of the format; this code writes and reads ``StoreExport/version``.
    public var version: Int
    /// The source store's revision: every key line is the state of the store at this revision.
    public var revision: Revision
    /// The kind of the source store (``ClusterStore/kind``): `sqlite`, `etcd`, ...
    public var source: String
    /// When the source was read (whole seconds, UTC).
    public var exportedAt: Date
    /// How many key lines follow.
    public var keys: Int

    public init(
        format: String = StoreExport.formatName, version: Int = StoreExport.version, revision: Revision, source: String, exportedAt: Date,
        keys: Int
    ) {
        self.format = format
        self.version = version
        self.revision = revision
        self.source = source
        self.exportedAt = exportedAt
        self.keys = keys
    }

    enum CodingKeys: String, CodingKey {
        case format, version, revision, source, keys
        case exportedAt = "exported_at"
    }
}
