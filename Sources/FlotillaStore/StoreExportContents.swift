import FlotillaCore

/// A store export read and checked whole (``StoreExport/parse(_:)``): its header and every key, in key order.
public struct StoreExportContents: Sendable, Equatable {
    public var header: StoreExportHeader
    /// Every key of the export, sorted by key (UTF-8 byte order), each at most once.
    public var kvs: [KeyValue]

    public init(header: StoreExportHeader, kvs: [KeyValue]) {
        self.header = header
        self.kvs = kvs
    }

    /// How many keys were attached to a lease in the source (an import leaves them out).
    public var leasedKeys: Int { kvs.count(where: { $0.lease != nil }) }
}
