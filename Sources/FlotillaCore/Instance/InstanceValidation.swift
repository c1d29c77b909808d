import Foundation

/// Validation of what users ask for, shared by every surface.
public enum InstanceValidation {
    /// The byte cap of instance names (``NameRule/Kind/instance``).
    public static let maxNameBytes = NameRule.Kind.instance.maxBytes

    /// An instance (or VM) name: ``NameRule`` with the instance cap.
    public static func validateName(_ name: String, field: String = "name") throws(FlotillaError) {
        try NameRule.check(name, kind: .instance, field: field)
    }

    public static func validateResources(_ r: Resources) throws(FlotillaError) {
        guard r.cpuCores.isFinite, r.cpuCores > 0, r.cpuCores <= 1024 else {
            throw .validation("resources.cpu.cores must be greater than 0 and at most 1024", field: "resources.cpu.cores")
        }
        guard r.memoryBytes >= 4 << 20, r.memoryBytes <= 16 << 40 else {
            throw .validation(
                "resources.memory.limit must be between 4 MiB and 16 TiB (in bytes)", field: "resources.memory.limit")
        }
        guard r.storageBytes >= 0, r.storageBytes <= 1 << 50 else {
            throw .validation(
                "resources.storage.totalSpace must be between 0 and 1 PiB (in bytes)", field: "resources.storage.totalSpace")
        }
    }

    /// Labels: at most ``TextLimit/labelCount``; keys 1-253 bytes without ',' or '=' (the selector syntax), values
    /// at most 1024 bytes; neither with control characters.
    public static func validateLabels(_ labels: [String: String], field: String = "labels") throws(FlotillaError) {
        try TextLimit.checkCount(labels.count, field: field, max: TextLimit.labelCount)
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
            guard !k.isEmpty, !k.contains(","), !k.contains("=") else {
                throw .validation("\(field): label keys must not be empty or contain ',' or '='", field: field)
            }
            if let problem = TextLimit.problem(k, maxBytes: TextLimit.labelKeyBytes) {
                throw .validation("\(field): label key \"\(shown(k))\" \(problem)", field: field)
            }
            if let problem = TextLimit.problem(v, maxBytes: TextLimit.labelValueBytes) {
                throw .validation("\(field): the value of label \"\(shown(k))\" \(problem)", field: field)
            }
        }
    }

    /// The free text of a spec beside its config: labels, metadata (surface A's annotations) and placement.
    public static func validateSpecText(_ spec: InstanceSpec) throws(FlotillaError) {
        try validateLabels(spec.labels)
        let field = "annotations"
        try TextLimit.checkCount(spec.metadata.count, field: field, max: TextLimit.metadataCount)
        for (k, v) in spec.metadata.sorted(by: { $0.key < $1.key }) {
            guard !k.isEmpty else { throw .validation("\(field): keys must not be empty", field: field) }
            if let problem = TextLimit.problem(k, maxBytes: TextLimit.metadataKeyBytes) {
                throw .validation("\(field): key \"\(shown(k))\" \(problem)", field: field)
            }
            if let problem = TextLimit.problem(v, maxBytes: TextLimit.metadataValueBytes, multiline: true) {
                throw .validation("\(field): the value of \"\(shown(k))\" \(problem)", field: field)
            }
        }
        let placement = spec.placement
        if let zone = placement.zone { try TextLimit.check(zone, field: "placement.zone", maxBytes: TextLimit.settingBytes) }
        if let worker = placement.workerId {
            try TextLimit.check(worker, field: "placement.workerId", maxBytes: TextLimit.settingBytes)
        }
        try validateLabels(placement.workerLabels, field: "placement.workerLabels")
    }

    /// The kind for `backend`, checking an explicitly requested one.
    public static func kind(requested: InstanceKind?, backend: BackendKind) throws(FlotillaError) -> InstanceKind {
        guard let requested else { return backend.defaultKind }
        guard backend.supportedKinds.contains(requested) else {
            throw .validation("backend \(backend.rawValue) cannot run a \(requested.rawValue)", field: "type")
        }
        return requested
    }
}

extension BackendKind {
    /// Static abilities of each backend kind, for answering before the owning host acts.
    public var canResizeLive: Bool {
        switch self {
        case .sim, .docker: return true
        case .kvm: return false
        }
    }
}
