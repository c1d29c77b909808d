extension InstanceValidation {
    /// Pure checks of a backend configuration (env, ports, volumes, image reference shape), run by every
    /// surface before anything is written, so that a bad spec is a 400 and never an instance in `error`.
    /// The docker adapter runs the same checks and parses images, ports and volumes with the same functions
    /// (``DockerImageReference``, ``DockerPortMapping``, ``DockerVolumeMount``). The sim takes any config.
    /// `config.restartPolicy` is Flotilla's own restart policy, checked with ``RestartPolicy``, not here.
    /// Every backend, the sim included, gets the byte caps of ``validateConfigText(_:)`` first, then the checks of
    /// interfaces, disks and kernel arguments (``validateNetworksAndDisks(_:backend:)``).
    public static func validateConfig(_ config: InstanceConfig, backend: BackendKind) throws(FlotillaError) {
        try validateConfigText(config)
        try validateNetworksAndDisks(config, backend: backend)
        switch backend {
        case .docker: try validateDockerConfig(config)
        case .kvm: try validateKVMConfig(config)
        case .sim: return
        }
    }

    /// The byte caps of ``TextLimit`` on every text field of a config, whatever the backend: no NUL anywhere, no
    /// control character in single-line fields (command arguments, environment entries and cloud-init may hold
    /// tabs and line breaks).
    public static func validateConfigText(_ config: InstanceConfig) throws(FlotillaError) {
        try TextLimit.check(config.image, field: "config.image", maxBytes: TextLimit.imageBytes)
        let lists: [(String, [String]?, Int, Bool)] = [
            ("config.command", config.command, TextLimit.argumentBytes, true),
            ("config.env", config.env, TextLimit.argumentBytes, true),
            ("config.ports", config.ports, TextLimit.mountBytes, false),
            ("config.volumes", config.volumes, TextLimit.mountBytes, false),
        ]
        for (field, list, maxBytes, multiline) in lists {
            guard let list else { continue }
            try TextLimit.checkCount(list.count, field: field, max: TextLimit.listCount)
            for (i, item) in list.enumerated() {
                try TextLimit.check(item, field: "\(field)[\(i)]", maxBytes: maxBytes, multiline: multiline)
            }
        }
        let settings: [(String, String?)] = [
            ("config.networkMode", config.networkMode), ("config.restartPolicy", config.restartPolicy),
            ("config.diskFormat", config.diskFormat), ("config.networkType", config.networkType),
            ("config.networkSource", config.networkSource),
        ]
        for case (let field, let value?) in settings {
            try TextLimit.check(value, field: field, maxBytes: TextLimit.settingBytes)
        }
        if let cloudInit = config.cloudInit {
            for case (let field, let value?) in [
                ("config.cloudInit.userData", cloudInit.userData), ("config.cloudInit.metaData", cloudInit.metaData),
            ] {
                try TextLimit.check(value, field: field, maxBytes: TextLimit.cloudInitBytes, multiline: true)
            }
        }
    }

    /// The fields the docker backend uses, in the syntax the Docker Engine takes.
    public static func validateDockerConfig(_ config: InstanceConfig) throws(FlotillaError) {
        _ = try DockerImageReference.parse(config.image)
        for (i, argument) in (config.command ?? []).enumerated() where argument.utf8.contains(0) {
            throw .validation("config.command[\(i)] contains a NUL character, which no program can receive", field: "config.command[\(i)]")
        }
        for (i, entry) in (config.env ?? []).enumerated() {
            try validateEnvironmentEntry(entry, field: "config.env[\(i)]")
        }
        for (i, port) in (config.ports ?? []).enumerated() {
            _ = try DockerPortMapping.parse(port, field: "config.ports[\(i)]")
        }
        for (i, volume) in (config.volumes ?? []).enumerated() {
            _ = try DockerVolumeMount.parse(volume, field: "config.volumes[\(i)]")
        }
        if let mode = config.networkMode, !mode.isEmpty {
            let target = mode.hasPrefix("container:") ? mode.dropFirst("container:".count) : Substring(mode)
            guard !target.isEmpty, target.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw .validation(
                    "config.networkMode \"\(shown(mode))\" must be bridge, host, none, container:<name|id> or a network name "
                        + "(printable characters without spaces)", field: "config.networkMode")
            }
        }
    }

    /// The fields the kvm backend uses: the image (a catalog image id, or the absolute path of a kernel), the
    /// disk format and the network. Whether the image exists is checked where the catalog is known.
    public static func validateKVMConfig(_ config: InstanceConfig) throws(FlotillaError) {
        if config.image.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw .validation(
                "config.image must be a catalog image id or the absolute path of a kernel, without control characters",
                field: "config.image")
        }
        if let format = config.diskFormat, !["raw", "qcow2"].contains(format) {
            throw .validation("config.diskFormat \"\(shown(format))\" must be raw or qcow2", field: "config.diskFormat")
        }
        let source = config.networkSource.flatMap { $0.isEmpty ? nil : $0 }
        switch config.networkType {
        case nil, "none":
            if source != nil {
                throw .validation(
                    "config.networkSource names a bridge and needs config.networkType bridge", field: "config.networkSource")
            }
        case "bridge":
            guard let source, isInterfaceName(source) else {
                throw .validation(
                    "config.networkSource must name the bridge for networkType bridge (1-15 characters, no '/', ':' or "
                        + "spaces)", field: "config.networkSource")
            }
        case let other?:
            throw .validation(
                "config.networkType \"\(shown(other))\" is not supported by the kvm backend: use bridge (with networkSource) "
                    + "or none", field: "config.networkType")
        }
    }

    /// `KEY=VALUE`: a non-empty key of printable ASCII characters other than `=` and space, no NUL anywhere.
    public static func validateEnvironmentEntry(_ entry: String, field: String) throws(FlotillaError) {
        let expected = "expected KEY=VALUE, KEY made of printable ASCII characters other than '=' and space"
        guard let equals = entry.firstIndex(of: "=") else {
            throw .validation("\(field) \"\(shown(entry))\" has no '=': \(expected)", field: field)
        }
        let key = entry[..<equals]
        guard !key.isEmpty else { throw .validation("\(field) \"\(shown(entry))\" has an empty KEY: \(expected)", field: field) }
        guard key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw .validation(
                "\(field) key \"\(shown(String(key)))\" has a space, control or non-ASCII character: \(expected)", field: field)
        }
        guard !entry.utf8.contains(0) else {
            throw .validation("\(field) \"\(shown(String(key)))=...\" contains a NUL character: \(expected)", field: field)
        }
    }

    /// A Linux network interface name: 1-15 bytes, no `/`, `:`, whitespace or control characters.
    static func isInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "/" && $0 != ":" }
    }

    /// User input inside a message, cut to a readable length: 64 Unicode scalars at most (not characters: one
    /// character can be a megabyte of combining marks).
    public static func shown(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard scalars.count > 64 else { return value }
        var cut = String.UnicodeScalarView()
        cut.append(contentsOf: scalars.prefix(61))
        return String(cut) + "..."
    }
}
