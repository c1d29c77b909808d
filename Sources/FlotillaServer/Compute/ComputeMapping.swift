import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation

/// The one place surface A maps between its wire types and the domain.
enum ComputeMapping {
    /// Surface A's state vocabulary (docs/api/surface-a-compute.md, the lifecycle).
    static func state(_ s: InstanceState) -> String {
        switch s {
        case .pending: return "created"
        case .creating, .starting: return "starting"
        case .running: return "running"
        case .stopping: return "stopping"
        case .stopped: return "stopped"
        case .paused: return "paused"
        case .restarting: return "restarting"
        case .error: return "error"
        case .deleting: return "deleting"
        case .deleted: return "deleted"
        }
    }

    /// The states a `state=` filter value stands for.
    static func states(forFilter value: String) throws -> Set<InstanceState> {
        let matching = Set(InstanceState.allCases.filter { state($0) == value && $0 != .deleted })
        guard !matching.isEmpty else {
            let allowed = ["created", "starting", "running", "stopping", "stopped", "paused", "restarting", "error", "deleting"]
            throw FlotillaError(
                .validationError, "state must be one of \(allowed.joined(separator: ", "))",
                details: ["field": "state", "allowed": .array(allowed.map { .string($0) })])
        }
        return matching
    }

    static func health(_ s: InstanceState) -> String {
        switch s {
        case .running: return "healthy"
        case .error: return "unhealthy"
        default: return "unknown"
        }
    }

    static func backend(_ raw: String?) throws -> BackendKind {
        guard let raw else { throw FlotillaError.validation("backend is required (kvm, docker or sim)", field: "backend") }
        guard let kind = BackendKind(rawValue: raw.lowercased()) else {
            throw FlotillaError(
                .invalidBackend, "Unknown backend \(raw)",
                details: ["backend": .string(raw), "supported": .array(BackendKind.allCases.map { .string($0.rawValue) })])
        }
        return kind
    }

    static func kind(_ raw: String?) throws -> InstanceKind? {
        guard let raw else { return nil }
        guard let kind = InstanceKind(rawValue: raw.lowercased()) else {
            throw FlotillaError.validation("type must be vm or container", field: "type")
        }
        return kind
    }

    static func resources(_ wire: Compute.Resources?, base: Resources = Resources()) -> Resources {
        var r = base
        if let cores = wire?.cpu?.cores { r.cpuCores = cores }
        if let limit = wire?.memory?.limit { r.memoryBytes = limit }
        if let total = wire?.storage?.totalSpace { r.storageBytes = total }
        return r
    }

    static func placement(_ wire: Compute.Placement?) throws -> PlacementConstraints {
        guard let wire else { return PlacementConstraints() }
        var strategy = PlacementConstraints.Strategy.spread
        if let raw = wire.strategy {
            guard let s = PlacementConstraints.Strategy(rawValue: raw) else {
                throw FlotillaError.validation("placement.strategy must be spread or binpack", field: "placement.strategy")
            }
            strategy = s
        }
        var onHostLost: HostLossPolicy?
        if let raw = wire.onHostLost {
            guard let policy = HostLossPolicy(rawValue: raw) else {
                throw FlotillaError.validation("placement.onHostLost must be reschedule or keep", field: "placement.onHostLost")
            }
            onHostLost = policy
        }
        return PlacementConstraints(
            zone: wire.zone, workerLabels: wire.workerLabels ?? [:], workerId: wire.workerId, strategy: strategy,
            onHostLost: onHostLost)
    }

    /// One asked-for interface (surfaces A and D): the address must be an IPv4 address and the mode tap or
    /// macvtap; whether the network exists and the address is free is for the create path to say.
    static func interface(
        network: String, address: String?, mac: String?, mode: String?, bridge: String?, field: String
    ) throws(FlotillaError) -> NetworkInterface {
        var parsedAddress: IPv4Address?
        if let address {
            guard let parsed = IPv4Address(address) else {
                throw .validation("\(field).address must be an IPv4 address such as 10.0.0.5", field: "\(field).address")
            }
            parsedAddress = parsed
        }
        var parsedMode: NetworkInterface.Mode?
        if let mode {
            guard let parsed = NetworkInterface.Mode(rawValue: mode) else {
                let modes = NetworkInterface.Mode.allCases.map(\.rawValue).joined(separator: " or ")
                throw .validation("\(field).mode must be \(modes)", field: "\(field).mode")
            }
            parsedMode = parsed
        }
        return NetworkInterface(network: network, address: parsedAddress, mac: mac, mode: parsedMode, bridge: bridge)
    }

    static func create(_ request: Compute.CreateRequest) throws -> CreateInstance {
        guard let name = request.name else { throw FlotillaError.validation("name is required", field: "name") }
        let backend = try backend(request.backend)
        guard let config = request.config, let image = config.image else {
            throw FlotillaError.validation("config.image is required", field: "config.image")
        }
        let domainConfig = InstanceConfig(
            image: image, command: config.command, env: config.env, volumes: config.volumes, ports: config.ports,
            networkMode: config.networkMode, restartPolicy: config.restartPolicy, diskFormat: config.diskFormat,
            networkType: config.networkType, networkSource: config.networkSource,
            cloudInit: config.cloudInit.map { CloudInit(userData: $0.userData, metaData: $0.metaData) },
            initrdImage: config.initrdImage, rootImage: config.rootImage, kernelArguments: config.kernelArguments,
            disks: config.disks?.map { DiskSpec(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly ?? false) },
            networks: try config.networks?.enumerated().map { index, i in
                try interface(
                    network: i.network, address: i.address, mac: i.mac, mode: i.mode, bridge: i.bridge,
                    field: "config.networks[\(index)]")
            })
        let spec = InstanceSpec(
            config: domainConfig, resources: resources(request.resources), labels: request.metadata?.labels ?? [:],
            metadata: request.metadata?.annotations ?? [:], placement: try placement(request.placement))
        return CreateInstance(name: name, kind: try kind(request.type), backend: backend, spec: spec)
    }

    static func instance(_ i: Instance, applied: String? = nil) -> Compute.Instance {
        let c = i.spec.config
        let config = Compute.Config(
            image: c.image, command: c.command, env: c.env, volumes: c.volumes, ports: c.ports,
            networkMode: c.networkMode, restartPolicy: c.restartPolicy, diskFormat: c.diskFormat,
            networkType: c.networkType, networkSource: c.networkSource,
            cloudInit: c.cloudInit.map { Compute.CloudInit(userData: $0.userData, metaData: $0.metaData) },
            networks: c.networks?.map {
                Compute.NetworkInterface(
                    network: $0.network, address: $0.address?.description, mac: $0.mac, mode: $0.mode?.rawValue, bridge: $0.bridge)
            },
            disks: c.disks?.map { Compute.Disk(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly) },
            kernelArguments: c.kernelArguments, initrdImage: c.initrdImage, rootImage: c.rootImage)
        let r = i.spec.resources
        let p = i.spec.placement
        let placement: Compute.Placement? =
            p == PlacementConstraints()
            ? nil
            : Compute.Placement(
                zone: p.zone, workerLabels: p.workerLabels.isEmpty ? nil : p.workerLabels, workerId: p.workerId,
                strategy: p.strategy.rawValue, onHostLost: p.onHostLost?.rawValue)
        return Compute.Instance(
            id: i.id, name: i.name, type: i.kind.rawValue, backend: i.backend.rawValue, state: state(i.state),
            status: health(i.state), stateDescription: i.stateDescription, desiredState: i.desired.rawValue,
            workerId: i.workerId, config: config,
            resources: Compute.Resources(
                cpu: .init(cores: r.cpuCores), memory: .init(limit: r.memoryBytes),
                storage: r.storageBytes > 0 ? .init(totalSpace: r.storageBytes) : nil),
            metadata: Compute.Metadata(labels: i.spec.labels, annotations: i.spec.metadata.isEmpty ? nil : i.spec.metadata),
            placement: placement, createdAt: i.createdAt, updatedAt: i.updatedAt, launchedAt: i.launchedAt,
            restartPolicy: i.spec.effectiveRestartPolicy.description,
            restarts: i.restarts.map { .init(attempts: $0.attempts, nextAttemptAt: $0.nextAttemptAt, gaveUp: $0.gaveUp) },
            applied: applied)
    }

    static func usage(_ u: InstanceUsage) -> Compute.Usage {
        Compute.Usage(
            cpu: .init(usage: u.cpuPercent, cores: u.cpuCores),
            memory: .init(used: u.memoryUsedBytes, limit: u.memoryLimitBytes, percentage: u.memoryPercent),
            storage: .init(used: u.storageUsedBytes, total: u.storageTotalBytes),
            network: .init(rxBytes: u.networkRxBytes, txBytes: u.networkTxBytes),
            blockIO: u.blockReadBytes.map { .init(readBytes: $0, writeBytes: u.blockWrittenBytes ?? 0) },
            observedAt: u.observedAt)
    }

    /// `k=v,k2=v2` label selectors.
    static func labelSelector(_ raw: String?) throws -> [String: String] {
        guard let raw, !raw.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for part in raw.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw FlotillaError.validation("labels must look like k=v,k2=v2", field: "labels")
            }
            result[String(kv[0])] = String(kv[1])
        }
        return result
    }
}
