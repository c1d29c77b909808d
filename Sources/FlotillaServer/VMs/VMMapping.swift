import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation

/// The one place surface C (docs/api/surface-c-vms.md) maps between its wire types and the domain.
///
/// A VM is an instance of kind `vm`. What surface C keeps beside the instance (flavor, description, key name,
/// network, security groups, availability zone) is kept in the instance's metadata under ``Key``; the image id
/// is the instance's `config.image` (the agent resolves the catalog artifacts from it) and `user_data`
/// becomes its cloud-init user data. A `network_id` naming a Flotilla network (docs/decisions/0025-vm-networks.md)
/// also gives the VM an interface on it, whose address is the VM's `ip_address`.
enum VMMapping {
    /// Metadata keys surface C keeps on its instances.
    enum Key {
        static let flavor = "vm.flavor_id"
        static let description = "vm.description"
        static let keyName = "vm.key_name"
        static let network = "vm.network_id"
        static let securityGroups = "vm.security_groups"
        static let availabilityZone = "vm.availability_zone"
    }

    // MARK: States

    /// Every `state` value, in the order the 422 for a bad filter lists them.
    static let stateNames = ["BUILDING", "ACTIVE", "SHUTOFF", "PAUSED", "REBOOT", "HARD_REBOOT", "ERROR", "DELETED"]

    /// Surface C's `state` (docs/api/surface-c-vms.md, States).
    static func state(_ s: InstanceState, hardRestart: Bool = false) -> String {
        switch s {
        case .pending, .creating, .starting: return "BUILDING"
        case .running: return "ACTIVE"
        case .stopping, .stopped: return "SHUTOFF"
        case .paused: return "PAUSED"
        case .restarting: return hardRestart ? "HARD_REBOOT" : "REBOOT"
        case .error: return "ERROR"
        case .deleting, .deleted: return "DELETED"
        }
    }

    static func state(_ i: Instance) -> String { state(i.state, hardRestart: i.hardRestart) }

    /// The lowercase `status` of worker-API clients (docs/api/surface-c-vms.md, States).
    static func status(_ s: InstanceState) -> String {
        switch s {
        case .pending, .creating, .starting: return "pending"
        case .running: return "running"
        case .stopping, .stopped: return "stopped"
        case .paused: return "paused"
        case .restarting: return "restarting"
        case .error: return "error"
        case .deleting, .deleted: return "deleted"
        }
    }

    // MARK: VMs

    static func vm(_ i: Instance) -> VMs.VM {
        let r = i.spec.resources
        let m = i.spec.metadata
        let stopped = i.state == .stopped
        // Upstream sets terminated_at only on delete; the core also records the last stop or failure there.
        let terminated = i.state == .deleted ? i.terminatedAt : nil
        return VMs.VM(
            uuid: i.id, name: i.name, state: state(i), stateDescription: i.stateDescription, flavorId: m[Key.flavor],
            imageId: i.spec.config.image, vcpus: Int(r.cpuCores.rounded(.up)), memoryMB: r.memoryMB, diskGB: r.storageGB,
            ipAddress: i.spec.config.networks?.first?.address?.description, floatingIp: nil, description: m[Key.description],
            keyName: m[Key.keyName],
            createdAt: i.createdAt, updatedAt: i.updatedAt, launchedAt: i.launchedAt, terminatedAt: terminated,
            isRunning: i.state == .running, isStopped: stopped, isTransitioning: i.state.isTransitional,
            status: status(i.state), workerId: i.workerId, backend: i.backend.rawValue)
    }

    /// `action` names of surface C (docs/api/surface-c-vms.md, States).
    static func actionName(_ action: LifecycleAction, hard: Bool) -> String {
        switch action {
        case .restart: return hard ? "reboot_hard" : "reboot_soft"
        default: return action.rawValue
        }
    }

    static func actionResult(
        _ instance: Instance, action: String, previous: String, settled: Bool, now: Date
    ) -> VMs.ActionResult {
        let current = state(instance)
        let message: String
        if !settled {
            message = "VM \(instance.name): \(action) accepted and still under way (\(current))"
        } else {
            switch action {
            case "start": message = "VM \(instance.name) started"
            case "stop": message = "VM \(instance.name) stopped"
            case "reboot_soft": message = "VM \(instance.name) rebooted"
            case "reboot_hard": message = "VM \(instance.name) hard rebooted"
            case "delete": message = "VM \(instance.name) deleted"
            default: message = "VM \(instance.name): \(action) done"
            }
        }
        return VMs.ActionResult(
            vmUUID: instance.id, action: action, status: settled ? "success" : "in_progress", message: message,
            previousState: previous, currentState: current, timestamp: now)
    }

    /// A core INVALID_STATE, in surface C's terms: `{vm_id, current_state, requested_action}`.
    static func invalidState(_ error: FlotillaError, _ instance: Instance, action: String) -> FlotillaError {
        let raw = error.details["currentState"]?.stringValue.flatMap(InstanceState.init(rawValue:)) ?? instance.state
        let current = state(raw, hardRestart: instance.hardRestart)
        return FlotillaError(
            .invalidState, "Cannot \(action) VM \(instance.id) in state \(current)",
            details: ["vm_id": .string(instance.id), "current_state": .string(current), "requested_action": .string(action)])
    }

    static func vmNotFound(_ id: String) -> FlotillaError {
        FlotillaError(.instanceNotFound, "VM \(id) not found", details: ["vm_id": .string(id)])
    }

    // MARK: Create

    /// A checked `POST /api/v1/vms` body.
    struct CreateBody {
        var name: String
        var flavorId: String
        var imageId: String
        var description: String?
        var keyName: String?
        var userData: String?
        var networkId: String?
        var ipAddress: IPv4Address?
        var securityGroups: [String]?
        var availabilityZone: String?
        var metadata: [String: String]
        var backend: BackendKind?
    }

    /// Reads and checks a create body; every bad field is reported at once.
    static func createBody(_ fields: FieldReader) throws -> CreateBody {
        typealias Field = VMs.CreateRequest.CodingKeys
        var f = fields
        let name = f.name(Field.name.stringValue, kind: .instance, required: true)
        let flavor = f.line(Field.flavorId.stringValue, required: true, minLength: 1, maxLength: 255)
        let image = f.line(Field.imageId.stringValue, required: true, minLength: 1, maxLength: 255)
        let description = f.string(Field.description.stringValue, maxLength: TextLimit.descriptionBytes)
        let keyName = f.line(Field.keyName.stringValue, maxLength: 255)
        let userData = f.string(Field.userData.stringValue, maxLength: 65535)
        let network = f.line(Field.networkId.stringValue, maxLength: 255)
        var address: IPv4Address?
        if let raw = f.line(Field.ipAddress.stringValue, maxLength: 15) {
            address = IPv4Address(raw)
            if address == nil {
                f.fail(
                    .valueError, [Field.ipAddress.stringValue], "Value error, must be an IPv4 address such as 10.0.0.5",
                    input: .string(raw))
            }
        }
        let groups = f.strings(Field.securityGroups.stringValue)
        let zone = f.line(Field.availabilityZone.stringValue, maxLength: 255)
        let metadata = f.stringMap(Field.metadata.stringValue) ?? [:]
        var backend: BackendKind?
        if let raw = metadata["backend"] {
            let vmBackends = BackendKind.allCases.filter { $0.supportedKinds.contains(.vm) }
            backend = BackendKind(rawValue: raw.lowercased()).flatMap { vmBackends.contains($0) ? $0 : nil }
            if backend == nil {
                f.fail(
                    .enumeration, [Field.metadata.stringValue, "backend"],
                    "Input should be \(FieldReader.alternatives(vmBackends.map(\.rawValue)))", input: .string(raw))
            }
        }
        try f.check()
        // Every required field passed its check above, so these are present.
        guard let name, let flavor, let image else { throw RequestValidationError.missing(at: ["body"]) }
        return CreateBody(
            name: name, flavorId: flavor, imageId: image, description: description, keyName: keyName, userData: userData,
            networkId: network, ipAddress: address, securityGroups: groups, availabilityZone: zone, metadata: metadata, backend: backend)
    }

    /// The instance to create for a checked body, its flavor and image resolved in the catalog. 409
    /// IMAGE_ARTIFACT_MISSING when the image has nothing the backend can run. A `network_id` among `networks` (the
    /// cluster's Flotilla networks) is an interface on it, with `ip_address` as its fixed address; any other
    /// `network_id` is only kept (surface C's clients send ids of their own; docs/api/surface-c-vms.md, Networks), and
    /// `ip_address` beside it is a 422.
    static func create(
        _ body: CreateBody, flavor: Flavor, image: Image, backend: BackendKind, networks: [String: NetworkDefinition] = [:]
    ) throws -> CreateInstance {
        var interfaces: [NetworkInterface]?
        if let network = body.networkId, networks[network] != nil {
            interfaces = [NetworkInterface(network: network, address: body.ipAddress)]
        } else if let address = body.ipAddress {
            let known = networks.keys.sorted()
            typealias Field = VMs.CreateRequest.CodingKeys
            let (addressKey, networkKey) = (Field.ipAddress.stringValue, Field.networkId.stringValue)
            throw RequestValidationError(
                type: .valueError, loc: ["body", .string(addressKey)],
                msg: "Value error, \(addressKey) needs \(networkKey) to name a Flotilla network ("
                    + (known.isEmpty ? "none is defined" : known.joined(separator: ", ")) + ")",
                input: .string(address.description))
        }
        if let missing = image.artifacts.missing(for: backend) {
            throw FlotillaError(
                .imageArtifactMissing,
                "Image \(image.id) has no artifact for the \(backend.rawValue) backend: it needs \(missing) (add one with `flotilla image import`)",
                details: ["image_id": .string(image.id), "backend": .string(backend.rawValue), "missing": .string(missing)])
        }
        var metadata = body.metadata
        metadata["backend"] = nil
        metadata[Key.flavor] = flavor.id
        metadata[Key.description] = body.description
        metadata[Key.keyName] = body.keyName
        metadata[Key.network] = body.networkId
        metadata[Key.securityGroups] = body.securityGroups.map { $0.joined(separator: ",") }
        metadata[Key.availabilityZone] = body.availabilityZone
        let config = InstanceConfig(image: image.id, cloudInit: body.userData.map { CloudInit(userData: $0) }, networks: interfaces)
        let spec = InstanceSpec(config: config, resources: flavor.resources, metadata: metadata)
        return CreateInstance(name: body.name, kind: .vm, backend: backend, spec: spec)
    }
}
