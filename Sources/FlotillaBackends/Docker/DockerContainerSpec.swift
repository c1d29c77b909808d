import FlotillaCore

/// Turns a Flotilla create request into the Engine API's create body (pure: no I/O), rejecting what Docker
/// could not run with a clear message before any call is made.
enum DockerContainerSpec {
    /// The label that marks a container as Flotilla's; its value is the Flotilla instance id.
    static let ownershipLabel = "io.flotilla.instance"
    /// The Flotilla name of the instance.
    static let nameLabel = "io.flotilla.name"

    /// `flotilla-<instance id>`.
    static func containerName(_ id: String) -> String { "flotilla-\(id)" }

    static func body(_ request: BackendCreateRequest) throws(BackendError) -> DockerWire.ContainerCreate {
        let config = request.spec.config
        guard request.kind == .container else {
            throw BackendError.invalidRequest("the docker backend runs containers, not \(request.kind.rawValue)s")
        }
        // The same checks every surface ran before the instance was written (a record from an older version may
        // not have been through them).
        try checked { () throws(FlotillaError) in try InstanceValidation.validateDockerConfig(config) }
        try validate(request.spec.resources)
        let attachments = try DockerNetworkSpec.attachments(request)
        var labels = request.spec.labels
        labels[ownershipLabel] = request.id
        labels[nameLabel] = request.name
        labels[DockerNetworkSpec.addressesLabel] = nil
        if !attachments.isEmpty { labels[DockerNetworkSpec.addressesLabel] = DockerNetworkSpec.addressesLabelValue(attachments) }

        var exposed: [String: DockerWire.Empty] = [:]
        var bindings: [String: [DockerWire.PortBinding]] = [:]
        for (i, raw) in (config.ports ?? []).enumerated() {
            let mapping = try checked { () throws(FlotillaError) in try DockerPortMapping.parse(raw, field: "config.ports[\(i)]") }
            for (key, binding) in portEntries(mapping) {
                exposed[key] = DockerWire.Empty()
                if let binding { bindings[key, default: []].append(binding) }
            }
        }
        var binds: [String] = []
        var anonymous: [String: DockerWire.Empty] = [:]
        for (i, raw) in (config.volumes ?? []).enumerated() {
            let mount = try checked { () throws(FlotillaError) in try DockerVolumeMount.parse(raw, field: "config.volumes[\(i)]") }
            if mount.source == nil && mount.options.isEmpty { anonymous[mount.destination] = DockerWire.Empty() } else { binds.append(raw) }
        }
        // On Flotilla networks: created on the first, connected to the others before it starts (DockerNetworks).
        let first = attachments.first
        return DockerWire.ContainerCreate(
            Image: config.image, Cmd: config.command, Env: config.env, Labels: labels,
            ExposedPorts: exposed.isEmpty ? nil : exposed, Volumes: anonymous.isEmpty ? nil : anonymous,
            HostConfig: DockerWire.HostConfig(
                NanoCpus: nanoCPUs(request.spec.resources.cpuCores), Memory: request.spec.resources.memoryBytes,
                MemorySwap: request.spec.resources.memoryBytes,
                Binds: binds.isEmpty ? nil : binds, PortBindings: bindings.isEmpty ? nil : bindings,
                NetworkMode: first?.dockerNetwork ?? config.networkMode.flatMap { $0.isEmpty ? nil : $0 },
                Dns: DockerNetworkSpec.nameservers(attachments)),
            MacAddress: first?.mac,
            NetworkingConfig: first.map { DockerWire.NetworkingConfig(EndpointsConfig: [$0.dockerNetwork: $0.endpoint]) })
    }

    /// A core check's refusal as the backend's own error, with the same message.
    private static func checked<T>(_ body: () throws(FlotillaError) -> T) throws(BackendError) -> T {
        do { return try body() } catch { throw BackendError.invalidRequest(error.message) }
    }

    /// The Engine API's `ExposedPorts` keys and `PortBindings` of one port mapping, port by port: a range is
    /// several ports; a host range against one container port is handed to the daemon as the range to pick from.
    static func portEntries(_ mapping: DockerPortMapping) -> [(key: String, binding: DockerWire.PortBinding?)] {
        let containerPorts = mapping.containerPorts
        return containerPorts.enumerated().map { offset, port in
            let key = "\(port)/\(mapping.proto)"
            guard mapping.isPublished else { return (key, nil) }
            let hostPort: String
            switch mapping.hostPorts {
            case nil: hostPort = ""
            case let hosts? where hosts.count == containerPorts.count: hostPort = "\(hosts.lowerBound + offset)"
            case let hosts?: hostPort = "\(hosts.lowerBound)-\(hosts.upperBound)"
            }
            return (key, DockerWire.PortBinding(HostIp: mapping.hostIP, HostPort: hostPort))
        }
    }

    static func nanoCPUs(_ cores: Double) -> Int64 { Int64((cores * 1_000_000_000).rounded()) }

    static func validate(_ resources: Resources) throws(BackendError) {
        guard resources.cpuCores > 0, resources.cpuCores.isFinite, resources.cpuCores <= 4096 else {
            throw BackendError.invalidRequest("cpu cores must be greater than 0, got \(resources.cpuCores)")
        }
        // Docker refuses less than 6 MiB.
        guard resources.memoryBytes >= 6 << 20 else {
            throw BackendError.invalidRequest("memory must be at least 6 MiB for a docker container, got \(resources.memoryBytes) bytes")
        }
        guard resources.storageBytes >= 0 else {
            throw BackendError.invalidRequest("storage must not be negative, got \(resources.storageBytes)")
        }
    }

    /// The image reference split into what `POST /images/create` takes: `fromImage` and `tag` (none with a
    /// digest, which `fromImage` then carries).
    static func pullReference(_ image: String) -> (fromImage: String, tag: String?) {
        guard let reference = try? DockerImageReference.parse(image), reference.digest == nil else { return (image, nil) }
        return (reference.repository, reference.tag ?? "latest")
    }
}
