/// A docker image reference, checked against Docker's grammar (the `reference` package of the distribution
/// project): `[HOST[:PORT]/]PATH[:TAG][@DIGEST]`.
///
/// - PATH: components of lowercase letters and digits joined by `.`, `_`, `__` or dashes, separated by `/`;
///   the name (registry and path) at most 255 characters.
/// - The first component is the registry when it contains `.` or `:` or is `localhost` (as Docker decides).
/// - TAG: 1-128 letters, digits, `_`, `.`, `-`, not starting with `.` or `-`.
/// - DIGEST: `sha256:` with 64 lowercase hex digits (`sha384:` 96, `sha512:` 128), the algorithms the daemon knows.
public struct DockerImageReference: Sendable, Equatable {
    public var registry: String?
    public var path: String
    public var tag: String?
    public var digest: String?

    /// Registry and path: what `POST /images/create` takes as `fromImage`.
    public var repository: String { registry.map { "\($0)/\(path)" } ?? path }

    /// Parses `image`, or throws a validation error for `field` that says what is wrong and what is expected.
    public static func parse(_ image: String, field: String = "config.image") throws(FlotillaError) -> DockerImageReference {
        guard !image.isEmpty else { throw .validation("\(field) is required", field: field) }
        func invalid(_ why: String) -> FlotillaError {
            .validation(
                "\(field) \"\(InstanceValidation.shown(image))\" is not a docker image reference: \(why) (expected "
                    + "[REGISTRY[:PORT]/]PATH[:TAG][@DIGEST], e.g. nginx:1.25 or registry.local:5000/team/app@sha256:<64 hex digits>)",
                field: field)
        }
        var reference = DockerImageReference(registry: nil, path: "", tag: nil, digest: nil)
        var name = Substring(image)
        if let at = name.firstIndex(of: "@") {
            let digest = name[name.index(after: at)...]
            guard isDigest(digest) else {
                throw invalid("the digest must be sha256:, sha384: or sha512: followed by its lowercase hex digits")
            }
            reference.digest = String(digest)
            name = name[..<at]
        }
        if let colon = name.lastIndex(of: ":"), name.lastIndex(of: "/").map({ colon > $0 }) ?? true {
            let tag = name[name.index(after: colon)...]
            guard isTag(tag) else {
                throw invalid("the tag must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
            }
            reference.tag = String(tag)
            name = name[..<colon]
        }
        guard !name.isEmpty else { throw invalid("the repository name is missing") }
        guard name.count <= 255 else { throw invalid("the repository name is longer than 255 characters") }
        var components = name.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 1, components[0].contains(where: { $0 == "." || $0 == ":" }) || components[0] == "localhost" {
            guard isRegistry(components[0]) else { throw invalid("the registry must be HOST[:PORT]") }
            reference.registry = String(components.removeFirst())
        }
        for component in components where !isPathComponent(component) {
            if component.contains(where: { $0.isASCII && $0.isUppercase }) { throw invalid("the repository path must be lowercase") }
            throw invalid("each path component must be lowercase letters and digits joined by '.', '_', '__' or '-'")
        }
        reference.path = components.joined(separator: "/")
        return reference
    }

    /// `[a-z0-9]+` runs joined by one `.`, one `_`, two `_`, or any number of `-`.
    static func isPathComponent(_ component: Substring) -> Bool {
        func alphanumeric(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }
        guard let first = component.first, alphanumeric(first), let last = component.last, alphanumeric(last) else { return false }
        var separator = ""
        for c in component {
            guard alphanumeric(c) else {
                separator.append(c)
                continue
            }
            guard separator.isEmpty || [".", "_", "__"].contains(separator) || separator.allSatisfy({ $0 == "-" }) else { return false }
            separator = ""
        }
        return true
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    static func isTag(_ tag: Substring) -> Bool {
        func word(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
        guard let first = tag.first, word(first), tag.count <= 128 else { return false }
        return tag.allSatisfy { word($0) || $0 == "." || $0 == "-" }
    }

    /// `HOST[:PORT]`: dot-separated labels of letters, digits and inner dashes, or `[IPv6]`; a numeric port.
    static func isRegistry(_ registry: Substring) -> Bool {
        var host = registry
        if registry.hasPrefix("[") {
            guard let close = registry.firstIndex(of: "]"),
                IPAddressText.isIPv6(registry[registry.index(after: registry.startIndex)..<close])
            else { return false }
            let rest = registry[registry.index(after: close)...]
            return rest.isEmpty || (rest.hasPrefix(":") && isPortNumber(rest.dropFirst()))
        }
        if let colon = registry.lastIndex(of: ":") {
            guard isPortNumber(registry[registry.index(after: colon)...]) else { return false }
            host = registry[..<colon]
        }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.first, let last = label.last, first != "-", last != "-" else { return false }
            return label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isPortNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `sha256:` + 64, `sha384:` + 96 or `sha512:` + 128 lowercase hex digits.
    static func isDigest(_ digest: Substring) -> Bool {
        guard let colon = digest.firstIndex(of: ":") else { return false }
        let lengths = ["sha256": 64, "sha384": 96, "sha512": 128]
        guard let length = lengths[String(digest[..<colon])] else { return false }
        let hex = digest[digest.index(after: colon)...]
        return hex.count == length && hex.allSatisfy { $0.isASCII && ($0.isNumber || ("a"..."f").contains($0)) }
    }
}
