import FlotillaCore
import Foundation

/// Reading an export: the whole file is checked before any of it is used, so a truncated or damaged file is
/// refused before anything is written anywhere.
extension StoreExport {
    /// Reads and checks the export at `path` (see ``parse(_:)``).
    public static func read(_ path: String) throws(StoreExportError) -> StoreExportContents {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let why = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw StoreExportError(line: nil, .unreadable("\(path): \(why)"))
        }
        return try parse(data)
    }

    /// Checks a whole export and returns what it holds. Refuses, naming the first line that is wrong: a first
    /// line that is not a header of this format or names an unknown version, a last line that is not the trailer
    /// (truncated), a line that is not a key line, a key that is not greater (UTF-8 byte order) than the key
    /// above it (duplicate or unsorted), a header or trailer count other than the number of key lines, and bytes
    /// whose SHA-256 is not the trailer's.
    public static func parse(_ data: Data) throws(StoreExportError) -> StoreExportContents {
        guard !data.isEmpty else { throw StoreExportError(line: nil, .empty) }
        let lines = lineRanges(data)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let header = try parseHeader(data[lines[0]], decoder)
        let last = lines.count
        guard last >= 2, let trailer = trailer(data[lines[last - 1]], decoder) else {
            // Lines after a trailer are not a cut file: name the trailer that is not last.
            let early = (2..<max(2, last)).first { self.trailer(data[lines[$0 - 1]], decoder) != nil }
            throw StoreExportError(line: early ?? last, early == nil ? .truncated : .trailerNotLast)
        }
        var kvs: [KeyValue] = []
        kvs.reserveCapacity(max(0, last - 2))
        for number in 2..<last {
            let line = data[lines[number - 1]]
            let record: StoreExportRecord
            do {
                record = try decoder.decode(StoreExportRecord.self, from: line)
            } catch {
                if self.trailer(line, decoder) != nil { throw StoreExportError(line: number, .trailerNotLast) }
                throw StoreExportError(line: number, .malformedLine(line.isEmpty ? "the line is empty" : reason(error)))
            }
            if let previous = kvs.last?.key {
                if record.key == previous { throw StoreExportError(line: number, .duplicateKey(record.key, firstLine: number - 1)) }
                if !previous.utf8.lexicographicallyPrecedes(record.key.utf8) {
                    throw StoreExportError(line: number, .unsortedKey(record.key, after: previous))
                }
            }
            kvs.append(record.keyValue)
        }
        guard header.keys == kvs.count else { throw StoreExportError(line: 1, .countMismatch(declared: header.keys, found: kvs.count)) }
        guard trailer.keys == kvs.count else {
            throw StoreExportError(line: last, .countMismatch(declared: trailer.keys, found: kvs.count))
        }
        let found = checksum(data[data.startIndex..<lines[last - 1].lowerBound])
        guard found == trailer.sha256 else {
            throw StoreExportError(line: last, .checksumMismatch(expected: trailer.sha256, found: found))
        }
        return StoreExportContents(header: header, kvs: kvs)
    }

    /// The header on `line`: first its format and version (so that another version is named as such, whatever
    /// else it changed), then every field.
    private static func parseHeader(_ line: Data, _ decoder: JSONDecoder) throws(StoreExportError) -> StoreExportHeader {
        struct Probe: Decodable {
            var format: String?
            var version: Int?
        }
        guard let probe = try? decoder.decode(Probe.self, from: line) else {
            throw StoreExportError(line: 1, .notAnExport("the line is not a JSON object with a format and a version"))
        }
        guard probe.format == formatName else {
            throw StoreExportError(line: 1, .notAnExport("its format is \(probe.format.map { "\"\($0)\"" } ?? "missing")"))
        }
        guard let version = probe.version else { throw StoreExportError(line: 1, .notAnExport("it has no version")) }
        guard version == StoreExport.version else { throw StoreExportError(line: 1, .unknownVersion(version)) }
        do {
            return try decoder.decode(StoreExportHeader.self, from: line)
        } catch {
            throw StoreExportError(line: 1, .notAnExport(reason(error)))
        }
    }

    /// The trailer, when `line` is one.
    private static func trailer(_ line: Data, _ decoder: JSONDecoder) -> StoreExportTrailer? {
        guard let trailer = try? decoder.decode(StoreExportTrailer.self, from: line), trailer.end else { return nil }
        return trailer
    }

    /// The byte ranges of the lines of `data`, without their newlines; a newline at the very end ends the last
    /// line rather than starting an empty one.
    static func lineRanges(_ data: Data) -> [Range<Data.Index>] {
        data.withUnsafeBytes { bytes in
            var ranges: [Range<Data.Index>] = []
            var start = 0
            for (offset, byte) in bytes.enumerated() where byte == 0x0A {
                ranges.append((data.startIndex + start)..<(data.startIndex + offset))
                start = offset + 1
            }
            if start < bytes.count { ranges.append((data.startIndex + start)..<(data.startIndex + bytes.count)) }
            return ranges
        }
    }

    /// A decoding error in a few words: the field and what is wrong with it.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "it has no \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            let field = path(context)
            return field.isEmpty ? "not JSON (\(context.debugDescription))" : "\(field): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
