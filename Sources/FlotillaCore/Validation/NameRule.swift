/// The one rule for every kind of name a user gives Flotilla: instance and VM names, API key names, flavor and
/// image ids and names, MicroVM ids and namespaces. See docs/decisions/0015-names-and-text-limits.md.
///
/// A name is accepted when it
/// - is 1 to `maxBytes` bytes long in UTF-8 (bytes, not characters: one `Character` can be a megabyte of
///   combining marks);
/// - is not blank and has no leading or trailing whitespace;
/// - has no control character (NUL, newline, tab, DEL, C1 controls) and no line or paragraph separator;
/// - has no `/` (names and ids appear in URL paths and store keys).
/// Everything else (letters of any script, digits, spaces inside, punctuation, emoji) is allowed; what a
/// surface needs beyond that (a MicroVM namespace without `:`) it checks on top, with its own byte cap from
/// ``NameRule/Kind``.
public enum NameRule {
    /// The kinds of name, each with its byte cap.
    public enum Kind: String, Sendable, CaseIterable {
        /// Instance names (surface A), VM names (surface C): Nova allows 255.
        case instance
        /// API key names.
        case key
        /// Flavor ids and names (surface C): Nova allows 255.
        case flavor
        /// Image ids and names (surface C): Glance allows 255.
        case image
        /// A MicroVM's `id` (its name) on surface E.
        case microVM
        /// A MicroVM's namespace on surface E (also refuses `:`, which joins namespace and name).
        case namespace

        /// The largest accepted name, in UTF-8 bytes.
        public var maxBytes: Int {
            switch self {
            case .instance, .flavor, .image: return 255
            case .key, .microVM, .namespace: return 63
            }
        }
    }

    /// The default byte cap of ``check(_:field:maxBytes:)``.
    public static let defaultMaxBytes = 63

    /// `raw` if it is an acceptable name of at most `maxBytes` UTF-8 bytes; otherwise a validation error naming
    /// `field`. The message never repeats more than a short prefix of the input.
    @discardableResult
    public static func check(_ raw: String, field: String = "name", maxBytes: Int = defaultMaxBytes) throws(FlotillaError)
        -> String
    {
        if let problem = problem(raw, maxBytes: maxBytes) {
            throw .validation("\(field) \(problem)", field: field)
        }
        return raw
    }

    /// `raw` if it is an acceptable name of `kind` (its byte cap and, for a namespace, no `:`).
    @discardableResult
    public static func check(_ raw: String, kind: Kind, field: String = "name") throws(FlotillaError) -> String {
        try check(raw, field: field, maxBytes: kind.maxBytes)
        if kind == .namespace, raw.utf8.contains(UInt8(ascii: ":")) {
            throw .validation("\(field) must not contain ':'", field: field)
        }
        return raw
    }

    /// Why `raw` is not an acceptable name, or nil when it is.
    public static func problem(_ raw: String, maxBytes: Int = defaultMaxBytes) -> String? {
        let bytes = raw.utf8.count
        if bytes == 0 { return "must not be empty" }
        if bytes > maxBytes { return "must be at most \(maxBytes) bytes in UTF-8 (got \(bytes))" }
        let scalars = raw.unicodeScalars
        if let bad = scalars.first(where: isForbidden) {
            let code = "U+" + String(bad.value, radix: 16, uppercase: true).leftPadded(to: 4)
            return "must not contain control characters or '/' (found \(code))"
        }
        if scalars.allSatisfy(\.properties.isWhitespace) { return "must not be blank" }
        if let first = scalars.first, let last = scalars.last, first.properties.isWhitespace || last.properties.isWhitespace {
            return "must not begin or end with whitespace"
        }
        return nil
    }

    /// Control characters (Cc: NUL, newline, tab, DEL, C1), line and paragraph separators, and `/`.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "/" { return true }
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
