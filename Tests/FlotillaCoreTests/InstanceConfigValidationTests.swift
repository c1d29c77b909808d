import FlotillaCore
import Testing

/// Every rule of ``InstanceValidation/validateConfig(_:backend:)``, with valid and invalid rows: the invalid
/// ones name the field and say what is wrong.
@Suite struct InstanceConfigValidationTests {
    /// One config and what validation must answer: nil when valid, else the field and a phrase of the message.
    struct Row: Sendable, CustomTestStringConvertible {
        var backend: BackendKind
        var config: InstanceConfig
        var field: String?
        var says: String

        var testDescription: String { "\(backend.rawValue) \(field ?? "valid"): \(config)" }

        static func docker(_ config: InstanceConfig, _ field: String? = nil, says: String = "") -> Row {
            Row(backend: .docker, config: config, field: field, says: says)
        }
        static func kvm(_ config: InstanceConfig, _ field: String? = nil, says: String = "") -> Row {
            Row(backend: .kvm, config: config, field: field, says: says)
        }
    }

    static let image = "busybox:1"
    static let digest = String(repeating: "0123456789abcdef", count: 4)

    static func env(_ entries: String...) -> InstanceConfig { InstanceConfig(image: image, env: entries) }
    static func ports(_ entries: String...) -> InstanceConfig { InstanceConfig(image: image, ports: entries) }
    static func volumes(_ entries: String...) -> InstanceConfig { InstanceConfig(image: image, volumes: entries) }
    static func image(_ reference: String) -> InstanceConfig { InstanceConfig(image: reference) }

    static let envRows: [Row] = [
        .docker(env("A=1", "A=", "A==b", "my.var-1=x y", "_X=\u{e9}t\u{e9}", "PATH=/bin:/usr/bin")),
        .docker(env("A=1", "FOO"), "config.env[1]", says: "has no '='"),
        .docker(env("=value"), "config.env[0]", says: "empty KEY"),
        .docker(env("MY VAR=1"), "config.env[0]", says: "space"),
        .docker(env("\tA=1"), "config.env[0]", says: "space, control"),
        .docker(env("K\u{e9}Y=1"), "config.env[0]", says: "non-ASCII"),
        .docker(env("A=b\u{0}c"), "config.env[0]", says: "NUL"),
    ]

    static let portRows: [Row] = [
        .docker(ports("80", "80/udp", "80/TCP", "1/sctp", "65535", "8080:80", "127.0.0.1:8080:80", "0.0.0.0:1:2")),
        .docker(ports("127.0.0.1::80", ":80", "[::1]:8080:80", "::1:8080:80", "[2001:db8::1]:53:53/udp", "[::ffff:10.0.0.1]:1:1")),
        .docker(ports("8000-8009:80-89", "8000-8009:80", "80-89", "1-65535")),
        .docker(ports("80", "0"), "config.ports[1]", says: "invalid container port"),
        .docker(ports("65536"), "config.ports[0]", says: "ports 1-65535"),
        .docker(ports("80:http"), "config.ports[0]", says: "invalid container port"),
        .docker(ports("0:80"), "config.ports[0]", says: "invalid host port"),
        .docker(ports("8080:"), "config.ports[0]", says: "invalid container port"),
        .docker(ports("-80"), "config.ports[0]", says: "invalid container port"),
        .docker(ports("+80"), "config.ports[0]", says: "invalid container port"),
        .docker(ports("90-80"), "config.ports[0]", says: "invalid container port"),
        .docker(ports("8000-8009:80-85"), "config.ports[0]", says: "different lengths"),
        .docker(ports("8080:80-89"), "config.ports[0]", says: "different lengths"),
        .docker(ports("80/icmp"), "config.ports[0]", says: "tcp, udp or sctp"),
        .docker(ports("80/"), "config.ports[0]", says: "tcp, udp or sctp"),
        .docker(ports("1:2:3:4"), "config.ports[0]", says: "invalid host IP"),
        .docker(ports("300.1.1.1:80:80"), "config.ports[0]", says: "invalid host IP"),
        .docker(ports("01.1.1.1:80:80"), "config.ports[0]", says: "invalid host IP"),
        .docker(ports("localhost:80:80"), "config.ports[0]", says: "invalid host IP"),
        .docker(ports("1:2:3:4:5:6:7:8:9:80:80"), "config.ports[0]", says: "invalid host IP"),
        .docker(ports("[::1:80:80"), "config.ports[0]", says: "unclosed"),
        .docker(ports("[::g]:80:80"), "config.ports[0]", says: "invalid IPv6"),
        .docker(ports("[::1]:80"), "config.ports[0]", says: "HOST_PORT:CONTAINER_PORT"),
        .docker(ports(""), "config.ports[0]", says: "expected [IP:][HOST_PORT[-END]:]CONTAINER_PORT"),
    ]

    static let volumeRows: [Row] = [
        .docker(volumes("/data", "/data:ro", "/srv:/data", "/srv:/data:ro", "cache:/cache", "cache:/cache:nocopy")),
        .docker(volumes("/srv:/data:ro,Z", "/srv:/data:rw,rshared", "my_vol.1-x:/d", "/srv:/data:z,slave")),
        .docker(volumes("/data", ""), "config.volumes[1]", says: "absolute DESTINATION"),
        .docker(volumes("data"), "config.volumes[0]", says: "absolute DESTINATION"),
        .docker(volumes("/"), "config.volumes[0]", says: "other than /"),
        .docker(volumes("/srv:/"), "config.volumes[0]", says: "other than /"),
        .docker(volumes("/srv:relative"), "config.volumes[0]", says: "absolute DESTINATION"),
        .docker(volumes(":/data"), "config.volumes[0]", says: "SOURCE"),
        .docker(volumes("./rel:/data"), "config.volumes[0]", says: "SOURCE"),
        .docker(volumes("a:/data"), "config.volumes[0]", says: "volume name of 2 or more"),
        .docker(volumes("/srv:/data:rx"), "config.volumes[0]", says: "unknown or repeated options"),
        .docker(volumes("/srv:/data:ro,rw"), "config.volumes[0]", says: "unknown or repeated options"),
        .docker(volumes("/srv:/data:z,Z"), "config.volumes[0]", says: "unknown or repeated options"),
        .docker(volumes("/srv:/data:shared,private"), "config.volumes[0]", says: "unknown or repeated options"),
        .docker(volumes("/srv:/data:ro,"), "config.volumes[0]", says: "unknown or repeated options"),
        .docker(volumes("/a:/b:ro:extra"), "config.volumes[0]", says: "too many ':'"),
        .docker(volumes("/srv:/da\u{0}ta"), "config.volumes[0]", says: "NUL"),
    ]

    static let imageRows: [Row] = [
        .docker(image("busybox")),
        .docker(image("busybox:1.36")),
        .docker(image("library/busybox")),
        .docker(image("docker.io/library/busybox:latest")),
        .docker(image("localhost/app")),
        .docker(image("localhost:5000/app:v1")),
        .docker(image("registry.example.com:5000/team/app@sha256:\(digest)")),
        .docker(image("app:v1@sha256:\(digest)")),
        .docker(image("app@sha512:\(digest)\(digest)")),
        .docker(image("[::1]:5000/app")),
        .docker(image("a__b/c--d/e.f_g")),
        .docker(image("flotilla-test/busybox:1")),
        .docker(image("my-registry.io/x:V1.0_rc-2")),
        .docker(image("sha256:\(digest)")),
        .docker(image(digest)),
        .docker(image("app:" + String(repeating: "t", count: 128))),
        .docker(image(""), "config.image", says: "required"),
        .docker(image("Nginx"), "config.image", says: "must be lowercase"),
        .docker(image("Registry/app"), "config.image", says: "must be lowercase"),
        .docker(image("nginx:"), "config.image", says: "the tag"),
        .docker(image("nginx:-bad"), "config.image", says: "the tag"),
        .docker(image("app:" + String(repeating: "t", count: 129)), "config.image", says: "the tag"),
        .docker(image(":tag"), "config.image", says: "missing"),
        .docker(image("nginx@sha256:abc"), "config.image", says: "digest"),
        .docker(image("nginx@md5:\(digest.prefix(32))"), "config.image", says: "digest"),
        .docker(image("nginx@sha256:\(digest.uppercased())"), "config.image", says: "digest"),
        .docker(image("a//b"), "config.image", says: "path component"),
        .docker(image("/app"), "config.image", says: "path component"),
        .docker(image("app/"), "config.image", says: "path component"),
        .docker(image("a___b"), "config.image", says: "path component"),
        .docker(image("a..b"), "config.image", says: "path component"),
        .docker(image("-app"), "config.image", says: "path component"),
        .docker(image(" nginx"), "config.image", says: "path component"),
        .docker(image("nginx latest"), "config.image", says: "path component"),
        .docker(image("bad_host.io/app"), "config.image", says: "registry"),
        .docker(image("registry.io:port/app"), "config.image", says: "registry"),
        .docker(image("-reg.io/app"), "config.image", says: "registry"),
        .docker(image(String(repeating: "a", count: 256)), "config.image", says: "longer than 255"),
    ]

    static let otherDockerRows: [Row] = [
        .docker(InstanceConfig(image: image, command: ["sh", "-c", "echo hi"], networkMode: "bridge")),
        .docker(InstanceConfig(image: image, networkMode: "container:abc")),
        .docker(InstanceConfig(image: image, networkMode: "my-net")),
        .docker(InstanceConfig(image: image, networkMode: "")),
        // Flotilla's restart policy is checked by RestartPolicy, not as docker syntax here.
        .docker(InstanceConfig(image: image, restartPolicy: "never")),
        .docker(InstanceConfig(image: image, command: ["sh", "a\u{0}b"]), "config.command[1]", says: "NUL"),
        .docker(InstanceConfig(image: image, networkMode: "container:"), "config.networkMode", says: "container:<name|id>"),
        .docker(InstanceConfig(image: image, networkMode: "my net"), "config.networkMode", says: "without spaces"),
    ]

    static let kvmRows: [Row] = [
        .kvm(InstanceConfig(image: "ubuntu-22.04", diskFormat: "qcow2")),
        .kvm(InstanceConfig(image: "/boot/vmlinuz", diskFormat: "raw", networkType: "none")),
        .kvm(InstanceConfig(image: "ubuntu-22.04", networkType: "bridge", networkSource: "br0")),
        .kvm(InstanceConfig(image: "ubuntu-22.04", networkType: "bridge", networkSource: "default")),
        // Docker-only fields are not the kvm backend's: left alone.
        .kvm(InstanceConfig(image: "Ubuntu 22.04", env: ["FOO"], ports: ["x"])),
        .kvm(InstanceConfig(image: "ubuntu\n"), "config.image", says: "control characters"),
        .kvm(InstanceConfig(image: "ubuntu", diskFormat: "vmdk"), "config.diskFormat", says: "raw or qcow2"),
        .kvm(InstanceConfig(image: "ubuntu", networkType: "bridge"), "config.networkSource", says: "must name the bridge"),
        .kvm(InstanceConfig(image: "ubuntu", networkType: "bridge", networkSource: "br/0"), "config.networkSource", says: "no '/'"),
        .kvm(
            InstanceConfig(image: "ubuntu", networkType: "bridge", networkSource: "abcdefghijklmnop"), "config.networkSource",
            says: "1-15 characters"),
        .kvm(InstanceConfig(image: "ubuntu", networkType: "user"), "config.networkType", says: "bridge (with networkSource) or none"),
        .kvm(InstanceConfig(image: "ubuntu", networkSource: "br0"), "config.networkSource", says: "needs config.networkType bridge"),
    ]

    @Test(arguments: envRows) func env(_ row: Row) { check(row) }
    @Test(arguments: portRows) func ports(_ row: Row) { check(row) }
    @Test(arguments: volumeRows) func volumes(_ row: Row) { check(row) }
    @Test(arguments: imageRows) func imageReference(_ row: Row) { check(row) }
    @Test(arguments: otherDockerRows) func commandAndNetworkMode(_ row: Row) { check(row) }
    @Test(arguments: kvmRows) func kvm(_ row: Row) { check(row) }

    @Test func simTakesAnyConfig() throws {
        try InstanceValidation.validateConfig(InstanceConfig(image: "Any Thing", env: ["FOO"], ports: ["x"]), backend: .sim)
    }

    @Test func parsedValues() throws {
        let port = try DockerPortMapping.parse("[::1]:8000-8001:80-81/UDP", field: "p")
        #expect(port == DockerPortMapping(hostIP: "::1", hostPorts: 8000...8001, containerPorts: 80...81, proto: "udp", isPublished: true))
        #expect(try DockerPortMapping.parse("80", field: "p").isPublished == false)
        #expect(try DockerPortMapping.parse("127.0.0.1::80", field: "p").hostPorts == nil)
        #expect(
            try DockerVolumeMount.parse("/data:ro", field: "v") == DockerVolumeMount(source: nil, destination: "/data", options: ["ro"]))
        #expect(
            try DockerVolumeMount.parse("cache:/c:ro,nocopy", field: "v")
                == DockerVolumeMount(source: "cache", destination: "/c", options: ["ro", "nocopy"]))
        let reference = try DockerImageReference.parse("reg.io:5000/team/app:v1@sha256:\(Self.digest)")
        #expect(reference.registry == "reg.io:5000")
        #expect(reference.path == "team/app")
        #expect(reference.tag == "v1")
        #expect(reference.digest == "sha256:\(Self.digest)")
        #expect(reference.repository == "reg.io:5000/team/app")
        #expect(try DockerImageReference.parse("busybox").registry == nil)
    }

    @Test func longInputIsCutInTheMessage() {
        let entry = String(repeating: "K", count: 500)
        let error = #expect(throws: FlotillaError.self) {
            try InstanceValidation.validateConfig(Self.env(entry), backend: .docker)
        }
        #expect((error?.message.count ?? 1000) < 300, "\(error?.message ?? "")")
    }

    func check(_ row: Row, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try InstanceValidation.validateConfig(row.config, backend: row.backend)
            #expect(row.field == nil, "accepted, but \(row.field ?? "") should be refused", sourceLocation: sourceLocation)
        } catch {
            guard let field = row.field else {
                Issue.record("refused: \(error.message)", sourceLocation: sourceLocation)
                return
            }
            #expect(error.code == .validationError, sourceLocation: sourceLocation)
            #expect(error.details["field"] == .string(field), "\(error.details)", sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(field), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(row.says), "\(error.message)", sourceLocation: sourceLocation)
        }
    }
}
