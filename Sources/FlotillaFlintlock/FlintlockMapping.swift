import FlotillaCore
import Foundation
import SwiftProtobuf

/// The one place surface E maps between Flintlock's messages and instances.
///
/// A MicroVM is an instance of kind `vm`. What Flintlock keeps beside it lives in the instance's metadata under
/// ``Key``: its uid (a ULID), namespace and name, and the spec the client sent (protobuf JSON, without the
/// labels, which are the instance's own). The instance is named `<namespace>:<name>`, unique in the cluster.
public enum FlintlockMapping {
    /// Metadata keys surface E keeps on its instances.
    public enum Key {
        public static let uid = "flintlock.uid"
        public static let namespace = "flintlock.namespace"
        public static let name = "flintlock.name"
        public static let spec = "flintlock.spec"
    }

    public static let defaultNamespace = "default"
    public static let defaultVCPU: Int32 = 2
    public static let defaultMemoryMB: Int32 = 1024

    /// The instance name of a MicroVM.
    public static func instanceName(namespace: String, name: String) -> String { namespace + ":" + name }

    /// Flintlock's state for an internal one (docs/api/surface-e-flintlock.md, States).
    public static func state(_ s: InstanceState) -> MicroVMStatus.MicroVMState {
        switch s {
        case .pending, .creating, .starting: return .pending
        case .running, .stopping, .stopped, .paused, .restarting: return .created
        case .error: return .failed
        case .deleting, .deleted: return .deleting
        }
    }

    /// The uid of an instance surface E made, if it made it.
    public static func uid(of instance: Instance) -> String? { instance.spec.metadata[Key.uid] }

    /// The MicroVM an instance shows as: the spec the client sent with the addresses and MACs allocated for its
    /// interfaces, and a status whose mounts and devices come from the catalog `images` and the `networks`.
    public static func microVM(
        _ instance: Instance, images: [String: Image] = [:], networks: [String: NetworkDefinition] = [:]
    ) -> MicroVM {
        let m = instance.spec.metadata
        var spec = MicroVMSpec()
        if let json = m[Key.spec], let stored = try? MicroVMSpec(jsonString: json, options: decoding) { spec = stored }
        spec.id = m[Key.name] ?? instance.name
        spec.namespace = m[Key.namespace] ?? defaultNamespace
        if let uid = m[Key.uid] { spec.uid = uid }
        spec.labels = instance.spec.labels
        spec.vcpu = Int32(clamping: Int64(instance.spec.resources.cpuCores.rounded(.up)))
        spec.memoryInMb = Int32(clamping: instance.spec.resources.memoryMB)
        spec.provider = instance.backend.rawValue
        spec.createdAt = Google_Protobuf_Timestamp(date: instance.createdAt)
        spec.updatedAt = Google_Protobuf_Timestamp(date: instance.updatedAt)
        if let gone = instance.terminatedAt { spec.deletedAt = Google_Protobuf_Timestamp(date: gone) } else { spec.clearDeletedAt() }
        fillAllocations(&spec, instance.spec.config.networks ?? [], networks: networks)
        var status = status(of: instance, spec: spec, images: images)
        status.state = state(instance.state)
        var vm = MicroVM()
        vm.version = Int32(clamping: instance.generation)
        vm.spec = spec
        vm.status = status
        return vm
    }

    /// The spec as kept in the instance's metadata: what the client sent, less what the instance holds itself.
    static func storedSpec(_ spec: MicroVMSpec) -> String {
        var kept = spec
        kept.labels = [:]
        kept.clearUid()
        kept.clearCreatedAt()
        kept.clearUpdatedAt()
        kept.clearDeletedAt()
        return (try? kept.jsonString(options: compactEncoding)) ?? "{}"
    }

    // MARK: JSON

    /// The gateway's JSON: lowerCamelCase names, enum names as strings (``FlintlockJSON`` adds zero values).
    public static let jsonEncoding: JSONEncodingOptions = {
        var o = JSONEncodingOptions()
        o.alwaysPrintEnumsAsInts = false
        o.preserveProtoFieldNames = false
        return o
    }()

    /// Accepts camelCase and snake_case names (SwiftProtobuf reads both); unknown fields are skipped, as
    /// grpc-gateway does, so that a client of a newer Flintlock still works. Wrong types are an error.
    public static let decoding: JSONDecodingOptions = {
        var o = JSONDecodingOptions()
        o.ignoreUnknownFields = true
        return o
    }()

    static let compactEncoding = JSONEncodingOptions()
}
