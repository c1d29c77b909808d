/// One entry of a docker config's `volumes`, in Docker's `-v` syntax: `[SOURCE:]DESTINATION[:OPTIONS]`.
///
/// - `/data`: an anonymous volume at `/data`; `/data:ro` the same, read-only.
/// - `/srv/www:/data`: the host folder `/srv/www`; `cache:/data`: the named volume `cache` (made on first use).
/// - DESTINATION is an absolute path other than `/`; a SOURCE is an absolute host path or a volume name
///   (`[A-Za-z0-9][A-Za-z0-9_.-]+`).
/// - OPTIONS, comma-separated, at most one of each group: `ro`/`rw`; `z`/`Z` (SELinux labels); a propagation mode
///   `shared`, `rshared`, `slave`, `rslave`, `private`, `rprivate`; `nocopy`.
public struct DockerVolumeMount: Sendable, Equatable {
    /// The host path or volume name; nil for an anonymous volume.
    public var source: String?
    public var destination: String
    public var options: [String]

    public init(source: String?, destination: String, options: [String] = []) {
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// The option groups; a mount takes at most one option of each.
    static let optionGroups: [Set<String>] = [
        ["ro", "rw"], ["z", "Z"], ["shared", "rshared", "slave", "rslave", "private", "rprivate"], ["nocopy"],
    ]

    /// Parses `raw`, or throws a validation error for `field` that says what is wrong and what is expected.
    public static func parse(_ raw: String, field: String) throws(FlotillaError) -> DockerVolumeMount {
        func invalid(_ why: String) -> FlotillaError {
            .validation(
                "\(field) \"\(InstanceValidation.shown(raw))\" \(why) (expected [SOURCE:]/DESTINATION[:OPTIONS], SOURCE an absolute "
                    + "host path or a volume name, OPTIONS among ro, rw, z, Z, shared, rshared, slave, rslave, private, rprivate, "
                    + "nocopy)", field: field)
        }
        guard !raw.utf8.contains(0) else { throw invalid("contains a NUL character") }
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
        var mount = DockerVolumeMount(source: nil, destination: "")
        var options: Substring?
        switch parts.count {
        case 1:
            mount.destination = String(parts[0])
        case 2 where parts[0].hasPrefix("/") && isOptionList(parts[1]):
            mount.destination = String(parts[0])
            options = parts[1]
        case 2:
            mount.source = String(parts[0])
            mount.destination = String(parts[1])
        case 3:
            mount.source = String(parts[0])
            mount.destination = String(parts[1])
            options = parts[2]
        default:
            throw invalid("has too many ':'")
        }
        guard mount.destination.hasPrefix("/"), mount.destination != "/" else {
            throw invalid("needs an absolute DESTINATION inside the container, other than /")
        }
        if let source = mount.source {
            guard source.hasPrefix("/") || isVolumeName(source) else {
                throw invalid("has a SOURCE that is neither an absolute host path nor a volume name of 2 or more [A-Za-z0-9_.-]")
            }
        }
        if let options {
            guard isOptionList(options) else { throw invalid("has unknown or repeated options") }
            mount.options = options.split(separator: ",").map(String.init)
        }
        return mount
    }

    /// Comma-separated known options, at most one of each group.
    static func isOptionList(_ text: Substring) -> Bool {
        let options = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard options.allSatisfy({ option in optionGroups.contains { $0.contains(option) } }) else { return false }
        return optionGroups.allSatisfy { group in options.filter { group.contains($0) }.count <= 1 }
    }

    /// Docker's local volume names: `[A-Za-z0-9][A-Za-z0-9_.-]+`.
    static func isVolumeName(_ name: String) -> Bool {
        guard name.count >= 2, let first = name.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }
}
