/// Byte caps for the free text users give Flotilla beside names (which follow ``NameRule``): labels, metadata,
/// backend configuration, descriptions. Sizes are UTF-8 bytes, never characters. Single-line text has no control
/// character; multi-line text may hold tab, line feed and carriage return; no text holds NUL.
/// See docs/decisions/0015-names-and-text-limits.md.
public enum TextLimit {
    /// Label keys (instance labels, placement worker labels).
    public static let labelKeyBytes = 253
    /// Label values.
    public static let labelValueBytes = 1024
    /// Labels on one instance.
    public static let labelCount = 256
    /// Metadata (annotations) keys.
    public static let metadataKeyBytes = 253
    /// Metadata values (a surface's own record, such as surface E's stored MicroVM spec, is one of them).
    public static let metadataValueBytes = 64 << 10
    /// Metadata entries on one instance.
    public static let metadataCount = 256
    /// `config.image`: a Docker reference, a catalog image id or the path of a kernel (PATH_MAX).
    public static let imageBytes = 4096
    /// One command argument or environment entry.
    public static let argumentBytes = 32 << 10
    /// Command arguments, environment entries, ports or volumes in one config.
    public static let listCount = 1024
    /// One port mapping or volume mount.
    public static let mountBytes = 4096
    /// Short settings: network mode and source, disk format, restart policy, zone, worker id.
    public static let settingBytes = 255
    /// Cloud-init user data or meta data.
    public static let cloudInitBytes = 64 << 10
    /// Descriptions (flavors, images, VMs).
    public static let descriptionBytes = 1000

    /// Refuses `value` when it is longer than `maxBytes` UTF-8 bytes, holds NUL, or (unless `multiline`) any
    /// control character.
    public static func check(_ value: String, field: String, maxBytes: Int, multiline: Bool = false) throws(FlotillaError) {
        if let problem = problem(value, maxBytes: maxBytes, multiline: multiline) {
            throw .validation("\(field) \(problem)", field: field)
        }
    }

    /// Refuses more than `max` entries.
    public static func checkCount(_ count: Int, field: String, max: Int) throws(FlotillaError) {
        if count > max { throw .validation("\(field) must have at most \(max) entries (got \(count))", field: field) }
    }

    /// Why `value` is refused, or nil.
    public static func problem(_ value: String, maxBytes: Int, multiline: Bool = false) -> String? {
        let bytes = value.utf8.count
        if bytes > maxBytes { return "must be at most \(maxBytes) bytes in UTF-8 (got \(bytes))" }
        if value.utf8.contains(0) { return "must not contain NUL" }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\t", "\n", "\r"] : []
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) }) {
            return multiline
                ? "must not contain control characters other than tab and line breaks" : "must not contain control characters"
        }
        return nil
    }
}
