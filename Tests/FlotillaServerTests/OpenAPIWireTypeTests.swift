import FlotillaAPI
import FlotillaCore
import Foundation
import Testing

@testable import FlotillaServer

/// The component schemas of `/openapi.json` against the Codable wire types they document: each schema names
/// exactly the keys its type encodes (with the server's encoder), and a sample of the type conforms to it. The
/// schemas are written by hand, so this is what keeps them from drifting from the types.
@Suite("OpenAPI schemas against the wire types")
struct OpenAPIWireTypeTests {
    static let date = Date(timeIntervalSince1970: 1_780_000_000)

    static let vm = VMs.VM(
        uuid: "0c6f5b1e-0000-4000-8000-000000000001", name: "web-1", state: "ACTIVE", stateDescription: "running",
        flavorId: "m1.small", imageId: "ubuntu-22.04", vcpus: 1, memoryMB: 2048, diskGB: 20, ipAddress: "10.0.0.5",
        floatingIp: "192.0.2.5", description: "a VM", keyName: "ops", createdAt: date, updatedAt: date, launchedAt: date,
        terminatedAt: date, isRunning: true, isStopped: false, isTransitioning: false, status: "running", workerId: "host-1",
        backend: "sim")

    static let flavor = VMs.Flavor(
        id: "m1.small", name: "m1.small", vcpus: 1, memoryMB: 2048, diskGB: 20, ephemeralGB: 1, swapMB: 512, isPublic: true,
        description: "small")

    static let image = VMs.Image(
        id: "ubuntu-22.04", name: "Ubuntu 22.04", status: "active", sizeBytes: 1 << 30, minDiskGB: 10, minMemoryMB: 512,
        osDistro: "ubuntu", osVersion: "22.04", architecture: "x86_64", createdAt: date, description: "Ubuntu",
        artifacts: VMs.ImageArtifacts(
            dockerReference: "ubuntu:22.04", kernelPath: "/images/vmlinuz", initrdPath: "/images/initrd",
            rootDiskPath: "/images/root.qcow2", rootDiskFormat: "qcow2"),
        backends: ["docker", "kvm"])

    static let imageRequest = VMs.ImageCreateRequest(
        id: "ubuntu-22.04", name: "Ubuntu 22.04", sizeBytes: 1 << 30, minDiskGB: 10, minMemoryMB: 512, osDistro: "ubuntu",
        osVersion: "22.04", architecture: "x86_64", description: "Ubuntu", dockerReference: "ubuntu:22.04",
        kernelPath: "/images/vmlinuz", initrdPath: "/images/initrd", rootDiskPath: "/images/root.qcow2", rootDiskFormat: "qcow2")

    /// A sample of each surface C wire type, every optional field set, by the schema that documents it.
    static let surfaceC: [String: any Encodable & Sendable] = [
        "VM": vm,
        "VMList": VMs.VMList(items: [vm], total: 1, page: 1, pageSize: 20, pages: 1),
        "VMActionResult": VMs.ActionResult(
            vmUUID: vm.uuid, action: "start", status: "success", message: "VM web-1 started", previousState: "SHUTOFF",
            currentState: "ACTIVE", timestamp: date),
        "VMCreateRequest": VMs.CreateRequest(
            name: "web-1", flavorId: "m1.small", imageId: "ubuntu-22.04", description: "a VM", keyName: "ops",
            userData: "#cloud-config", networkId: "net-1", ipAddress: "10.0.0.5", securityGroups: ["default"],
            availabilityZone: "zone-a", metadata: ["backend": "sim"]),
        "VMUpdateRequest": VMs.UpdateRequest(name: "web-2", description: "renamed"),
        "VMRebootRequest": VMs.RebootRequest(rebootType: "HARD"),
        "Flavor": flavor,
        "FlavorList": VMs.FlavorList(items: [flavor], total: 1),
        "FlavorCreateRequest": VMs.FlavorCreateRequest(
            id: "m1.small", name: "m1.small", vcpus: 1, memoryMB: 2048, diskGB: 20, ephemeralGB: 1, swapMB: 512, isPublic: true,
            description: "small"),
        "ImageArtifacts": image.artifacts,
        "Image": image,
        "ImageList": VMs.ImageList(items: [image], total: 1),
        "ImageCreateRequest": imageRequest,
        "ImageReplaceRequest": imageRequest,
        "VMHealth": VMs.Health(
            status: "healthy", version: "1.0.0", timestamp: date, database: "connected",
            backends: ["sim": .init(status: "unhealthy", version: "1", reason: "down")],
            cluster: .init(
                hostId: "host-1", store: "sqlite", revision: 7, leaderId: "host-1", workers: 1, activeWorkers: 1, instances: 2,
                vms: 1)),
        "VMRoot": VMs.Root(name: "Flotilla", version: "1.0.0", docs: "/docs", openapi: "/openapi.json"),
        "ErrorC": VMs.ErrorBody(error: "VM_NOT_FOUND", message: "VM x not found", details: ["vm_id": "x"], timestamp: date),
        "ValidationErrorC": VMs.ValidationErrorBody(detail: [
            VMs.ValidationIssue(type: .missing, loc: ["body", "security_groups", 0], msg: "Field required", input: .null)
        ]),
        "AuthErrorC": VMs.AuthErrorBody(
            detail: .init(error: "AUTHENTICATION_ERROR", message: "Invalid API key", details: "The provided API key is not valid")),
    ]

    static let interface = Compute.NetworkInterface(
        network: "net-1", address: "10.0.0.5", mac: "52:54:00:00:00:01", mode: NetworkInterface.Mode.tap.rawValue, bridge: "br0")
    static let disk = Compute.Disk(id: "data", image: "blank", sizeBytes: 1 << 30, readOnly: false)

    static let config = Compute.Config(
        image: "ubuntu-22.04", command: ["sh"], env: ["A=1"], volumes: ["/data:/data"], ports: ["8080:80"],
        networkMode: "bridge", restartPolicy: "always", diskFormat: "qcow2", networkType: "user", networkSource: "default",
        cloudInit: .init(userData: "#cloud-config", metaData: "{}"),
        networks: [interface], disks: [disk], kernelArguments: "quiet",
        initrdImage: "initrd-1", rootImage: "root-1")

    static let resources = Compute.Resources(cpu: .init(cores: 1), memory: .init(limit: 512), storage: .init(totalSpace: 1 << 30))
    static let metadata = Compute.Metadata(labels: ["app": "web"], annotations: ["note": "x"])
    static let placement = Compute.Placement(
        zone: "zone-a", workerLabels: ["disk": "ssd"], workerId: "host-1", strategy: "spread", onHostLost: "keep")

    static let instance = Compute.Instance(
        id: "0c6f5b1e-0000-4000-8000-000000000002", name: "web-1", type: "vm", backend: "sim", state: "running",
        status: "healthy", stateDescription: "running", desiredState: "running", workerId: "host-1", config: config,
        resources: resources, metadata: metadata, placement: placement, createdAt: date, updatedAt: date, launchedAt: date,
        restartPolicy: "always", restarts: .init(attempts: 1, nextAttemptAt: date, gaveUp: false), applied: "live")

    /// A sample of each surface A wire type (and `/health`'s), every optional field set, by its schema.
    static let surfaceA: [String: any Encodable & Sendable] = [
        "ComputeResources": resources,
        "ComputeConfig": config,
        "ComputeNetworkInterface": interface,
        "ComputeDisk": disk,
        "ComputeMetadata": metadata,
        "ComputePlacement": placement,
        "ComputeInstance": instance,
        "ComputeInstanceList": Compute.InstanceList(instances: [instance], total: 1, page: 1, pageSize: 20),
        "ComputeCreateRequest": Compute.CreateRequest(
            name: "web-1", type: "vm", backend: "sim", config: config, resources: resources, metadata: metadata,
            placement: placement),
        "ComputeUpdateRequest": Compute.UpdateRequest(resources: resources, metadata: metadata),
        "ComputeStopRequest": Compute.StopRequest(force: true, timeout: 30),
        "ComputeRestartRequest": Compute.RestartRequest(hard: true, timeout: 30),
        "ComputeUsage": Compute.Usage(
            cpu: .init(usage: 0.5, cores: 1), memory: .init(used: 256, limit: 512, percentage: 50),
            storage: .init(used: 1, total: 2), network: .init(rxBytes: 1, txBytes: 2), blockIO: .init(readBytes: 1, writeBytes: 2),
            observedAt: date),
        "ComputeClusterStatus": Compute.ClusterStatus(
            backends: [
                "sim": .init(
                    status: "healthy", instances: 1, resources: .init(cpu: .init(used: 1, total: 2), memory: .init(used: 1, total: 2)))
            ], totalInstances: 1, health: "healthy"),
        "ComputeBackendInfo": Compute.BackendInfo(
            type: "sim", version: "1", apiVersion: "1", status: "available", capabilities: ["pause"], supportedTypes: ["vm"],
            healthCheck: .init(status: "unhealthy", lastCheck: date, reason: "down")),
        "Health": HealthResponse(
            status: "ok", version: "1.0.0", hostId: "host-1", store: "sqlite", revision: 7, backends: ["sim"],
            unavailableBackends: ["docker": "down"], leader: "host-1", role: "leader"),
        "ErrorA": Compute.ErrorBody(
            error: .init(code: FlotillaError.Code.notFound.rawValue, message: "No route", details: ["path": "/x"])),
    ]

    static let host = Global.HostRef(id: "host-1", address: "http://10.0.0.1:8080", zone: "zone-a")
    static let usage = Global.Usage(
        cpu: .init(usagePercent: 12.5, cores: 2), memory: .init(usedBytes: 256, limitBytes: 512, percent: 50),
        storage: .init(usedBytes: 1, totalBytes: 2), network: .init(rxBytes: 1, txBytes: 2))
    static let migration = Global.Migration(
        mode: "live", outcome: "moved", from: "host-1", to: "host-2", reason: "drain",
        figures: .init(totalMs: 900, downtimeMs: 40, diskMs: 100, memoryBytes: 1 << 20, diskBytes: 1 << 30), at: date)
    static let globalPlacement = Global.VM.Placement(zone: "zone-a", labels: ["disk": "ssd"], workerId: "host-1", strategy: "spread")
    static let globalDisk = Global.VM.Disk(id: "data", image: "blank", sizeBytes: 1 << 30, readOnly: false)
    static let globalVM = Global.VM(
        id: "0c6f5b1e-0000-4000-8000-000000000003", name: "web-1", kind: "vm", backend: "sim",
        spec: .init(
            image: "ubuntu-22.04", resources: .init(cpuCores: 1, memoryMB: 512, storageGB: 1), labels: ["app": "web"],
            metadata: ["note": "x"], placement: globalPlacement, restartPolicy: "always", networks: [interface], disks: [globalDisk],
            kernelArguments: "quiet", initrdImage: "initrd-1", rootImage: "root-1"),
        desired: "running",
        observed: .init(
            state: "running", description: "running", launchedAt: date, terminatedAt: date, restartAttempts: 1, nextRestartAt: date),
        host: host, revisions: .init(created: 3, modified: 7), createdAt: date, updatedAt: date, migration: migration)

    /// A sample of each surface D wire type (and the internal identity), every optional field set, by its schema.
    static let surfaceD: [String: any Encodable & Sendable] = [
        "HostRef": host,
        "GlobalUsage": usage,
        "GlobalStatus": Global.Status(
            id: globalVM.id, name: "web-1", kind: "vm", backend: "sim", state: "running", host: host, servedBy: "host-2",
            routed: true, observedAt: date, usage: usage, revision: 7),
        "GlobalResources": Global.VM.Resources(cpuCores: 1, memoryMB: 512, storageGB: 1),
        "GlobalPlacement": globalPlacement,
        "GlobalVM": globalVM,
        "GlobalMigration": migration,
        "GlobalNetworkInterface": interface,
        "GlobalDisk": globalDisk,
        "GlobalVMList": Global.VMList(items: [globalVM], nextCursor: "djE6MTow", revision: 7),
        "GlobalCreateRequest": Global.CreateRequest(
            name: "web-1", backend: "sim", kind: "vm", image: "ubuntu-22.04", command: ["sh"],
            resources: .init(cpuCores: 1, memoryMB: 512, storageGB: 1), labels: ["app": "web"], metadata: ["note": "x"],
            placement: globalPlacement, restartPolicy: "always", networks: [interface], disks: [globalDisk],
            kernelArguments: "quiet", initrdImage: "initrd-1", rootImage: "root-1"),
        "GlobalMigrateRequest": Global.MigrateRequest(workerId: "host-2", target: "host-2", live: true),
        "GlobalCluster": Global.Cluster(
            members: [
                .init(id: "host-1", address: "http://10.0.0.1:8080", zone: "zone-a", role: "leader", healthy: true, status: "active")
            ],
            leader: .init(id: "host-1", term: 4, since: date),
            store: .init(kind: "etcd", healthy: true, revision: 7, oldestRevision: 1, details: ["members": "3"]), servedBy: "host-1"),
        "GlobalEvent": Global.Event(
            revision: 7, type: "instance.updated", instanceId: globalVM.id,
            instance: .init(id: globalVM.id, name: "web-1", state: "running", desired: "running", host: "host-1"),
            previousState: "starting", workerId: "host-1", term: 4),
        "GlobalEventError": ["code": FlotillaError.Code.internalError.rawValue, "message": "the stream ended"],
        "InternalIdentity": InternalRoutes.Identity(hostId: "host-1", revision: 7),
    ]

    static let components: [String: JSONValue] = {
        guard case .object(let root) = OpenAPIDocument.build(version: "test"), case .object(let c)? = root["components"],
            case .object(let schemas)? = c["schemas"]
        else { return [:] }
        return schemas
    }()

    @Test(
        "every surface A, C and D schema of /openapi.json names exactly the keys its wire type encodes",
        arguments: surfaceC.keys.sorted() + surfaceA.keys.sorted() + surfaceD.keys.sorted())
    func schemaMatchesWireType(_ name: String) throws {
        let schema = try #require(Self.components[name], "\(name) is not in /openapi.json")
        let sample = try #require(Self.surfaceC[name] ?? Self.surfaceA[name] ?? Self.surfaceD[name])
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONResponse.encoder.encode(sample))
        let check = JSONSchemaCheck(components: Self.components)
        #expect(check.keyProblems(json, schema) == [], "\(name)")
        #expect(check.problems(json, schema) == [], "\(name)")
    }

    @Test("the key check names a key sent but not documented, and one documented but never sent")
    func keyCheckFindsDrift() {
        let schema = OpenAPISchemas.object(["a": OpenAPISchemas.string], optional: ["b": OpenAPISchemas.string])
        let problems = JSONSchemaCheck(components: [:]).keyProblems(.object(["a": "x", "c": "y"]), schema)
        #expect(problems == ["$.c: sent, not documented", "$.b: documented, never sent"])
    }

    @Test("every surface C schema is held to a wire type here")
    func surfaceCCovered() {
        let documented = Set(OpenAPISchemas.vms.keys).union(["ErrorC", "ValidationErrorC", "AuthErrorC"])
        #expect(documented.subtracting(Self.surfaceC.keys).sorted() == [])
    }

    @Test("every surface D schema is held to a wire type here")
    func surfaceDCovered() {
        #expect(Set(OpenAPISchemas.global.keys).subtracting(Self.surfaceD.keys).sorted() == [])
    }
}
