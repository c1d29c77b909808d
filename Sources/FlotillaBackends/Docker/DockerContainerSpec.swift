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
        guard !config.image.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw BackendError.invalidRequest("a docker instance needs an image")
        }
        try validate(request.spec.resources)
        var labels = request.spec.labels
        labels[ownershipLabel] = request.id
        labels[nameLabel] = request.name

        var exposed: [String: DockerWire.Empty] = [:]
        var bindings: [String: [DockerWire.PortBinding]] = [:]
        for port in config.ports ?? [] {
            let (key, binding) = try portBinding(port)
            exposed[key] = DockerWire.Empty()
            if let binding { bindings[key, default: []].append(binding) }
        }
        var binds: [String] = []
        var anonymous: [String: DockerWire.Empty] = [:]
        for volume in config.volumes ?? [] {
            let parts = volume.split(separator: ":", omittingEmptySubsequences: false)
            guard !volume.isEmpty, parts.allSatisfy({ !$0.isEmpty }), parts.count <= 3 else {
                throw BackendError.invalidRequest("volume \"\(volume)\" must look like /path, SOURCE:/path or SOURCE:/path:ro")
            }
            if parts.count == 1 { anonymous[volume] = DockerWire.Empty() } else { binds.append(volume) }
        }
        for entry in config.env ?? [] where !entry.contains("=") || entry.hasPrefix("=") {
            throw BackendError.invalidRequest("environment entry \"\(entry)\" must look like NAME=value")
        }
        return DockerWire.ContainerCreate(
            Image: config.image, Cmd: config.command, Env: config.env, Labels: labels,
            ExposedPorts: exposed.isEmpty ? nil : exposed, Volumes: anonymous.isEmpty ? nil : anonymous,
            HostConfig: DockerWire.HostConfig(
                NanoCpus: nanoCPUs(request.spec.resources.cpuCores), Memory: request.spec.resources.memoryBytes,
                MemorySwap: request.spec.resources.memoryBytes,
                Binds: binds.isEmpty ? nil : binds, PortBindings: bindings.isEmpty ? nil : bindings,
                NetworkMode: config.networkMode.flatMap { $0.isEmpty ? nil : $0 },
                RestartPolicy: try config.restartPolicy.map(restartPolicy)))
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

    /// `80`, `8080:80`, `127.0.0.1:8080:80`, each optionally with `/tcp`, `/udp` or `/sctp`.
    static func portBinding(_ raw: String) throws(BackendError) -> (String, DockerWire.PortBinding?) {
        let invalid = BackendError.invalidRequest(
            "port \"\(raw)\" must look like CONTAINER, HOST:CONTAINER or IP:HOST:CONTAINER, optionally with /tcp or /udp")
        var spec = Substring(raw)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = String(spec[spec.index(after: slash)...]).lowercased()
            spec = spec[..<slash]
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw invalid }
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func port(_ s: String, allowZero: Bool = false) -> Bool {
            guard let n = Int(s) else { return false }
            return (allowZero ? 0 : 1)...65535 ~= n
        }
        switch parts.count {
        case 1:
            guard port(parts[0]) else { throw invalid }
            return ("\(parts[0])/\(proto)", nil)
        case 2:
            guard port(parts[0], allowZero: true), port(parts[1]) else { throw invalid }
            return ("\(parts[1])/\(proto)", DockerWire.PortBinding(HostIp: "", HostPort: parts[0]))
        case 3:
            guard !parts[0].isEmpty, parts[1].isEmpty || port(parts[1], allowZero: true), port(parts[2]) else { throw invalid }
            return ("\(parts[2])/\(proto)", DockerWire.PortBinding(HostIp: parts[0], HostPort: parts[1]))
        default:
            throw invalid
        }
    }

    /// `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`.
    static func restartPolicy(_ raw: String) throws(BackendError) -> DockerWire.RestartPolicy {
        let parts = raw.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("no", 1), ("always", 1), ("unless-stopped", 1), ("on-failure", 1):
            return DockerWire.RestartPolicy(Name: parts[0], MaximumRetryCount: 0)
        case ("on-failure", 2):
            guard let count = Int(parts[1]), count >= 0 else { break }
            return DockerWire.RestartPolicy(Name: "on-failure", MaximumRetryCount: count)
        default: break
        }
        throw BackendError.invalidRequest(
            "restart policy \"\(raw)\" must be one of no, always, unless-stopped, on-failure or on-failure:N")
    }

    /// The image reference split into what `POST /images/create` takes: `fromImage` and `tag`.
    static func pullReference(_ image: String) -> (fromImage: String, tag: String?) {
        if image.contains("@") { return (image, nil) }
        if let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") {
            return (String(image[..<colon]), String(image[image.index(after: colon)...]))
        }
        return (image, "latest")
    }
}
