import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation

/// Surface D's mapping between the internal model and its wire types, in one place.
enum GlobalMapping {
    static func host(_ workerId: String?, in state: RegistryState) -> Global.HostRef? {
        guard let workerId else { return nil }
        let worker = state.workers[workerId]?.value
        return Global.HostRef(id: workerId, address: worker?.address, zone: worker?.zone)
    }

    static func vm(_ record: Versioned<Instance>, in state: RegistryState) -> Global.VM {
        let i = record.value
        let r = i.spec.resources
        let p = i.spec.placement
        let c = i.spec.config
        return Global.VM(
            id: i.id, name: i.name, kind: i.kind.rawValue, backend: i.backend.rawValue,
            spec: .init(
                image: i.spec.config.image,
                resources: .init(cpuCores: r.cpuCores, memoryMB: r.memoryMB, storageGB: r.storageGB),
                labels: i.spec.labels, metadata: i.spec.metadata,
                placement: .init(
                    zone: p.zone, labels: p.workerLabels.isEmpty ? nil : p.workerLabels, workerId: p.workerId,
                    strategy: p.strategy.rawValue),
                restartPolicy: i.spec.effectiveRestartPolicy.description,
                networks: c.networks?.map {
                    .init(network: $0.network, address: $0.address?.description, mac: $0.mac, mode: $0.mode?.rawValue, bridge: $0.bridge)
                },
                disks: c.disks?.map { .init(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly) },
                kernelArguments: c.kernelArguments, initrdImage: c.initrdImage, rootImage: c.rootImage),
            desired: i.desired.rawValue,
            observed: .init(
                state: i.state.rawValue, description: i.stateDescription, launchedAt: i.launchedAt, terminatedAt: i.terminatedAt,
                restartAttempts: i.restarts?.attempts ?? 0, nextRestartAt: i.restarts?.nextAttemptAt),
            host: host(i.workerId, in: state),
            revisions: .init(created: record.createRevision, modified: record.modRevision),
            createdAt: i.createdAt, updatedAt: i.updatedAt, migration: i.lastMigration.map(Global.Migration.init))
    }

    static func usage(_ u: InstanceUsage) -> Global.Usage {
        Global.Usage(
            cpu: .init(usagePercent: u.cpuPercent, cores: u.cpuCores),
            memory: .init(usedBytes: u.memoryUsedBytes, limitBytes: u.memoryLimitBytes, percent: u.memoryPercent),
            storage: .init(usedBytes: u.storageUsedBytes, totalBytes: u.storageTotalBytes),
            network: .init(rxBytes: u.networkRxBytes, txBytes: u.networkTxBytes))
    }

    /// The status the owning host reports from its backend.
    static func status(_ live: LiveObservation, record: Versioned<Instance>, servedBy: String, in state: RegistryState) -> Global.Status {
        let i = live.instance
        return Global.Status(
            id: i.id, name: i.name, kind: i.kind.rawValue, backend: i.backend.rawValue, state: live.state.rawValue,
            host: host(i.workerId, in: state), servedBy: servedBy, routed: false, observedAt: live.observedAt,
            usage: live.usage.map(usage), revision: record.modRevision)
    }

    /// The status of an instance not placed yet: only the registry knows it, and says so (no usage, no
    /// observation time).
    static func unplacedStatus(_ record: Versioned<Instance>, servedBy: String) -> Global.Status {
        let i = record.value
        return Global.Status(
            id: i.id, name: i.name, kind: i.kind.rawValue, backend: i.backend.rawValue, state: i.state.rawValue, host: nil,
            servedBy: servedBy, routed: false, observedAt: nil, usage: nil, revision: record.modRevision)
    }

    static func event(_ e: ClusterEvent) -> Global.Event {
        Global.Event(
            revision: e.revision, type: e.kind.rawValue, instanceId: e.instanceId,
            instance: e.instance.map {
                .init(id: $0.id, name: $0.name, state: $0.state.rawValue, desired: $0.desired.rawValue, host: $0.workerId)
            },
            previousState: e.previousState?.rawValue, workerId: e.workerId, term: e.term)
    }

    /// Parses `state=running,stopped` (internal vocabulary); VALIDATION_ERROR for an unknown state.
    static func states(_ raw: String?) throws -> Set<InstanceState>? {
        guard let raw, !raw.isEmpty else { return nil }
        var result = Set<InstanceState>()
        for part in raw.split(separator: ",") {
            guard let s = InstanceState(rawValue: String(part)), s != .deleted else {
                let allowed = InstanceState.allCases.filter { $0 != .deleted }.map(\.rawValue)
                throw FlotillaError(
                    .validationError, "state must be one of \(allowed.joined(separator: ", "))",
                    details: ["field": "state", "allowed": .array(allowed.map { .string($0) })])
            }
            result.insert(s)
        }
        return result
    }

    static func create(_ wire: Global.CreateRequest) throws -> CreateInstance {
        let backend = try ComputeMapping.backend(wire.backend)
        let kind = try ComputeMapping.kind(wire.kind)
        var resources = Resources()
        if let r = wire.resources {
            if let c = r.cpuCores { resources.cpuCores = c }
            if let m = r.memoryMB {
                guard (1...(1 << 30)).contains(m) else {
                    throw FlotillaError.validation("resources.memory_mb is out of range", field: "resources.memory_mb")
                }
                resources.memoryBytes = m << 20
            }
            if let d = r.storageGB {
                guard (0...(1 << 20)).contains(d) else {
                    throw FlotillaError.validation("resources.storage_gb is out of range", field: "resources.storage_gb")
                }
                resources.storageBytes = d << 30
            }
        }
        var placement = PlacementConstraints()
        if let p = wire.placement {
            placement.zone = p.zone
            placement.workerLabels = p.labels ?? [:]
            placement.workerId = p.workerId
            if let raw = p.strategy {
                guard let strategy = PlacementConstraints.Strategy(rawValue: raw) else {
                    throw FlotillaError.validation("placement.strategy must be spread or binpack", field: "placement.strategy")
                }
                placement.strategy = strategy
            }
        }
        let config = InstanceConfig(
            image: wire.image, command: wire.command, initrdImage: wire.initrdImage, rootImage: wire.rootImage,
            kernelArguments: wire.kernelArguments,
            disks: wire.disks?.map { DiskSpec(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly ?? false) },
            networks: try wire.networks?.enumerated().map { index, i in
                try ComputeMapping.interface(
                    network: i.network, address: i.address, mac: i.mac, mode: i.mode, bridge: i.bridge, field: "networks[\(index)]")
            })
        let spec = InstanceSpec(
            config: config, resources: resources, labels: wire.labels ?? [:],
            metadata: wire.metadata ?? [:], placement: placement,
            restartPolicy: try wire.restartPolicy.map { raw throws(FlotillaError) in
                try RestartPolicy.parse(raw, field: "restart_policy")
            })
        return CreateInstance(name: wire.name, kind: kind, backend: backend, spec: spec)
    }
}
