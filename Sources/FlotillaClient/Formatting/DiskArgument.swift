import FlotillaCore

/// `--disk ID:size=SIZE` (an empty disk) or `--disk ID:image=IMAGE[:size=SIZE][:ro]` (a copy of a catalog image,
/// grown to SIZE when given, read-only with `ro`); docs/decisions/0026-vm-disks.md.
public enum DiskArgument {
    public static let usage = "expected ID:size=SIZE or ID:image=IMAGE[:size=SIZE][:ro], e.g. data:size=8M or base:image=debian-disk:ro"

    /// Parses one `--disk` value. Sizes are ``ByteSize``'s (8M, 1GiB).
    ///
    /// - Throws: ``InvalidInput`` naming the value and what is wrong with it.
    public static func parse(_ text: String) throws(InvalidInput) -> DiskSpec {
        func invalid(_ problem: String) -> InvalidInput { InvalidInput("invalid --disk '\(text)': \(problem): \(usage)") }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let id = parts.first, DiskSpec.isValidId(id) else {
            throw invalid("the disk id must be 1-20 letters, digits, '-' or '_'")
        }
        var disk = DiskSpec(id: id)
        var seen: Set<String> = []
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = pair[0]
            guard !seen.contains(key) else { throw invalid("'\(key)' is given more than once") }
            seen.insert(key)
            switch (key, pair.count) {
            case ("ro", 1): disk.readOnly = true
            case ("image", 2):
                guard !pair[1].isEmpty else { throw invalid("the image is empty") }
                disk.image = pair[1]
            case ("size", 2):
                let bytes: Int64
                do { bytes = try ByteSize.parse(pair[1]) } catch { throw invalid("size '\(pair[1])' is not a size") }
                guard bytes > 0 else { throw invalid("the size must be larger than 0") }
                disk.sizeBytes = bytes
            default: throw invalid("'\(part)' is not size=SIZE, image=IMAGE or ro")
            }
        }
        guard disk.image != nil || disk.sizeBytes != nil else { throw invalid("it needs a size or an image") }
        return disk
    }
}
