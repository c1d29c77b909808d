import Foundation

/// Validation of what users ask for, shared by every surface.
public enum InstanceValidation {
    public static let maxNameLength = 255

    public static func validateName(_ name: String, field: String = "name") throws(FlotillaError) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .validation("name must not be empty", field: field) }
        guard name.count <= maxNameLength else {
            throw .validation("name must be at most \(maxNameLength) characters", field: field)
        }
        guard !name.contains("/"), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw .validation("name must not contain '/' or control characters", field: field) }
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

    public static func validateLabels(_ labels: [String: String], field: String = "labels") throws(FlotillaError) {
        for (k, v) in labels {
            guard !k.isEmpty, k.count <= 253, v.count <= 1024, !k.contains(","), !k.contains("=") else {
                throw .validation("label keys must be 1-253 characters without ',' or '=' and values at most 1024", field: field)
            }
        }
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
