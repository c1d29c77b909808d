/// Why a file is not a usable store export: the line (1-based; nil for the file as a whole) and what is wrong
/// there. ``StoreExport/parse(_:)`` stops at the first problem.
public struct StoreExportError: Error, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// The file has no bytes.
        case empty
        /// The file could not be read.
        case unreadable(String)
        /// Line 1 is not a header of this format (what it is instead).
        case notAnExport(String)
        /// The header names a version of the format this code does not know.
        case unknownVersion(Int)
        /// The line is not a key line of the format (the decoder's complaint).
        case malformedLine(String)
        /// The last line is not the trailer: the file was cut short (or its end damaged).
        case truncated
        /// A trailer before the last line.
        case trailerNotLast
        /// The key was already on an earlier line.
        case duplicateKey(String, firstLine: Int)
        /// The key sorts before the key of the line above it.
        case unsortedKey(String, after: String)
        /// The header or the trailer counts another number of keys than the file holds.
        case countMismatch(declared: Int, found: Int)
        /// The bytes before the trailer do not have the trailer's SHA-256.
        case checksumMismatch(expected: String, found: String)
    }

    public var line: Int?
    public var problem: Problem

    public init(line: Int?, _ problem: Problem) {
        self.line = line
        self.problem = problem
    }

    public var description: String {
        if case .unreadable(let why) = problem { return "cannot read the export \(why)" }
        let place = line.map { "line \($0): " } ?? ""
        return "not a usable store export: " + place + explanation
    }

    private var explanation: String {
        switch problem {
        case .empty: return "the file is empty"
        case .unreadable(let why): return "cannot read the export \(why)"
        case .notAnExport(let what): return "not a \(StoreExport.formatName) header: \(what)"
        case .unknownVersion(let version):
            return "format version \(version) is unknown to this flotilla, which reads version \(StoreExport.version): "
                + "use a flotilla that knows it"
        case .malformedLine(let why): return "not a key line: \(why)"
        case .truncated: return "the file ends without its trailer ({\"end\":true,...}): it is truncated or damaged"
        case .trailerNotLast: return "a trailer before the last line: lines follow the end of the export"
        case .duplicateKey(let key, let first): return "key \(key) appears twice (first on line \(first))"
        case .unsortedKey(let key, let previous): return "key \(key) is out of order: it sorts before \(previous), on the line above"
        case .countMismatch(let declared, let found): return "says \(declared) keys, the file holds \(found)"
        case .checksumMismatch(let expected, let found):
            return "the checksum of the lines above is \(found), the trailer says \(expected): the file was changed or damaged"
        }
    }
}
