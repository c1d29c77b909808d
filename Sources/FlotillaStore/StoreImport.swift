import FlotillaCore
import Foundation

/// Restores a store export into an empty store of any kind (issue 18; docs/store-export.md).
///
/// The file is checked whole first (``StoreExport/parse(_:)``) and the target must hold no key at all: nothing
/// is written unless both hold. The keys are then written in transactions of at most ``maxPutsPerTransaction``
/// puts (etcd refuses more than 128 operations in one) and about ``maxBytesPerTransaction`` bytes (etcd's
/// request size limit is 1.5 MiB), each guarded by compares that every key it puts is still absent.
///
/// Not carried over: leases, and keys attached to one (a host's registration, the leader key: their holders
/// make them again when they start), and revisions (the target numbers its own writes: every imported key has
/// version 1 and a create revision of the target's).
public enum StoreImport {
    /// The most puts in one transaction.
    public static let maxPutsPerTransaction = 100
    /// The most key and value bytes in one transaction, unless one key alone is larger.
    public static let maxBytesPerTransaction = 1 << 20

    /// What an import did.
    public struct Report: Sendable, Equatable {
        /// The export's header: the source's kind and revision.
        public var header: StoreExportHeader
        /// Keys written.
        public var written: Int
        /// Keys of the export left out because they were attached to a lease.
        public var skippedLeased: Int
        /// The target's revision after the last write.
        public var revision: Revision
    }

    /// Checks the export at `path` whole, then imports it into `store` (see the type's description).
    public static func run(_ path: String, into store: any ClusterStore) async throws -> Report {
        try await run(try StoreExport.read(path), into: store)
    }

    /// Imports `contents` into `store`, which must be empty.
    /// - Throws: ``StoreImportError/targetNotEmpty(keys:kind:)`` before any write when the store holds a key;
    ///   ``StoreImportError/keyAppeared(_:written:)`` when another writer made a key meanwhile (the keys of the
    ///   batches before stay written).
    public static func run(_ contents: StoreExportContents, into store: any ClusterStore) async throws -> Report {
        let existing = try await store.range(prefix: "")
        guard existing.kvs.isEmpty else { throw StoreImportError.targetNotEmpty(keys: existing.kvs.count, kind: store.kind) }
        let kept = contents.kvs.filter { $0.lease == nil }
        var revision = existing.revision
        var written = 0
        for batch in batches(kept) {
            let result = try await store.txn(
                batch.map { Compare.absent($0.key) }, then: batch.map { .put($0.key, $0.value) },
                otherwise: batch.map { .get(key: $0.key) })
            guard result.succeeded else {
                let present = zip(batch, result.results).first { _, answer in answer != .get(nil) }?.0.key
                throw StoreImportError.keyAppeared(present ?? batch[0].key, written: written)
            }
            written += batch.count
            revision = result.revision
        }
        return Report(header: contents.header, written: written, skippedLeased: contents.kvs.count - kept.count, revision: revision)
    }

    /// `kvs` cut, in order, into batches of at most `maxPuts` keys and, unless one key alone is larger, at most
    /// `maxBytes` bytes of keys and values.
    public static func batches(
        _ kvs: [KeyValue], maxPuts: Int = maxPutsPerTransaction, maxBytes: Int = maxBytesPerTransaction
    ) -> [[KeyValue]] {
        var batches: [[KeyValue]] = []
        var current: [KeyValue] = []
        var bytes = 0
        for kv in kvs {
            let size = kv.key.utf8.count + kv.value.count
            if !current.isEmpty && (current.count == maxPuts || bytes + size > maxBytes) {
                batches.append(current)
                current = []
                bytes = 0
            }
            current.append(kv)
            bytes += size
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}
