/// The `metadata` of a VM create request from `--metadata k=v` pairs and `--backend`.
public enum VMMetadata {
    /// The backends a VM can be asked for (`metadata.backend`).
    public static let backends = ["sim", "kvm"]

    /// The pairs as a dictionary with `backend` added, or `nil` when there is nothing to send.
    ///
    /// - Throws: ``InvalidInput`` for a malformed or repeated pair, an unknown backend, or a `backend=` pair that
    ///   contradicts `backend`.
    public static func build(_ pairs: [String], backend: String?) throws -> [String: String]? {
        var metadata = try KeyValueParser.parseAll(pairs, what: "metadata")
        if let backend {
            guard backends.contains(backend) else {
                throw InvalidInput("unknown backend '\(backend)': use \(backends.joined(separator: " or "))")
            }
            if let given = metadata["backend"], given != backend {
                throw InvalidInput("--backend \(backend) contradicts --metadata backend=\(given)")
            }
            metadata["backend"] = backend
        }
        return metadata.isEmpty ? nil : metadata
    }
}
