import Crypto
import FlotillaCore
import Foundation

/// A whole cluster store as one file, to restore into any store (issue 18; the format: docs/store-export.md).
///
/// JSON Lines: a ``StoreExportHeader``, one line per key in key order, then a trailer with the number of keys
/// and the SHA-256 of every byte before it. The keys come from one `range(prefix: "")`: one read at one
/// revision, so the file is a consistent snapshot whatever the store does meanwhile. ``parse(_:)`` checks a file
/// whole before anyone uses it.
public enum StoreExport {
    /// The header's `format`.
    public static let formatName = "flotilla-store-export"
    /// The version of the format this code writes and the only one it reads. A change that an older reader would
    /// misread takes a new version; readers refuse versions they do not know.
    public static let version = 1

    /// Reads every key of `store` at one revision and writes the export to `path` (a new file, readable by its
    /// owner only: it holds API key hashes and the cluster's whole state). The file appears only once complete.
    /// - Returns: the header written.
    @discardableResult
    public static func write(from store: any ClusterStore, to path: String, now: Date = Date()) async throws -> StoreExportHeader {
        let (header, data) = try await snapshot(store, now: now)
        try StagedFile.create(at: path) { temporary in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
        }
        return header
    }

    /// Reads every key of `store` at one revision and writes the export to `handle` (e.g. a pipe).
    /// - Returns: the header written.
    @discardableResult
    public static func write(from store: any ClusterStore, to handle: FileHandle, now: Date = Date()) async throws -> StoreExportHeader {
        let (header, data) = try await snapshot(store, now: now)
        try handle.write(contentsOf: data)
        return header
    }

    /// The export of `range` (one read of a whole store of kind `source`), read at `exportedAt`.
    public static func encode(_ range: RangeResult, source: String, exportedAt: Date) throws -> Data {
        let header = StoreExportHeader(revision: range.revision, source: source, exportedAt: exportedAt, keys: range.kvs.count)
        return try encode(header: header, kvs: range.kvs)
    }

    /// The lines of an export with this `header` and these keys, in the order given, and a trailer that counts
    /// them and holds the checksum of what precedes it. The header is written as given (tests make wrong ones).
    public static func encode(header: StoreExportHeader, kvs: [KeyValue]) throws -> Data {
        let encoder = lineEncoder()
        var data = try encoder.encode(header) + newline
        for kv in kvs {
            data += try encoder.encode(StoreExportRecord(kv)) + newline
        }
        let trailer = StoreExportTrailer(end: true, keys: kvs.count, sha256: checksum(data))
        return data + (try encoder.encode(trailer)) + newline
    }

    /// One `range(prefix: "")` of `store`, encoded; the time is whole seconds (what the header can hold).
    private static func snapshot(_ store: any ClusterStore, now: Date) async throws -> (StoreExportHeader, Data) {
        let range = try await store.range(prefix: "")
        let exportedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let header = StoreExportHeader(revision: range.revision, source: store.kind, exportedAt: exportedAt, keys: range.kvs.count)
        return (header, try encode(header: header, kvs: range.kvs))
    }

    static let newline = Data([0x0A])

    /// One JSON object per line: no pretty printing (JSON escapes every newline inside a string), keys sorted so
    /// that the same store gives the same bytes, dates in ISO 8601.
    static func lineEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The lowercase hex SHA-256 of `data`.
    static func checksum(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
