/// The last line of a store export: proof that the file is complete and unchanged.
struct StoreExportTrailer: Codable, Equatable {
    /// Always true: what tells the trailer from a key line.
    var end: Bool
    /// How many key lines the file holds.
    var keys: Int
    /// The SHA-256, lowercase hex, of every byte before this line (the header and key lines with their newlines).
    var sha256: String
}
