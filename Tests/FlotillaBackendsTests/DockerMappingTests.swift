import FlotillaCore
import Foundation
import Testing

@testable import FlotillaBackends

/// The pure parts of the docker backend: request -> Engine API body, daemon state -> observed state.
@Suite struct DockerMappingTests {
    typealias State = DockerWire.ContainerInspect.State

    @Test(
        arguments: [
            ("created", nil, 0, ObservedInstance.State.created, nil as String?),
            ("running", nil, 0, .running, nil),
            ("paused", nil, 0, .paused, nil),
            ("exited", nil, 0, .stopped, "exited with code 0"),
            ("exited", nil, 137, .stopped, "exited with code 137"),
            ("exited", nil, 143, .stopped, "exited with code 143"),
            ("exited", nil, 1, .error, "exited with code 1"),
            ("exited", true, 137, .error, "killed: out of memory (exit code 137)"),
            ("dead", nil, 2, .error, "dead (exit code 2)"),
            ("restarting", nil, 1, .error, "restarting by its restart policy after exiting with code 1"),
        ] as [(String, Bool?, Int32, ObservedInstance.State, String?)])
    func observedState(_ status: String, _ oom: Bool?, _ code: Int32, _ state: ObservedInstance.State, _ description: String?) {
        let observed = DockerObservation.observed(
            id: "x", state: State(Status: status, OOMKilled: oom, ExitCode: code))
        #expect(observed.state == state)
        #expect(observed.description == description)
        if status == "exited" { #expect(observed.exitCode == code) }
    }

    @Test func createBody() throws {
        let request = BackendCreateRequest(
            id: "0b1c", name: "web", kind: .container,
            spec: InstanceSpec(
                config: InstanceConfig(
                    image: "nginx:alpine", command: ["nginx", "-g", "daemon off;"], env: ["A=1"],
                    volumes: ["/srv:/data:ro", "cache:/cache", "/anon", "/ro-anon:ro"],
                    ports: ["8080:80", "127.0.0.1:9000:9000/udp", "443", "[::1]:7000-7001:70-71", "127.0.0.1::5000", "6000-6010:60"],
                    networkMode: "none", restartPolicy: "unless-stopped"),
                resources: Resources(cpuCores: 1.5, memoryBytes: 256 << 20),
                labels: ["app": "web", "io.flotilla.instance": "spoofed"]))
        let body = try DockerContainerSpec.body(request)
        #expect(body.Image == "nginx:alpine")
        #expect(body.Cmd == ["nginx", "-g", "daemon off;"])
        #expect(body.Env == ["A=1"])
        #expect(body.Labels == ["app": "web", "io.flotilla.instance": "0b1c", "io.flotilla.name": "web"])
        #expect(body.HostConfig.NanoCpus == 1_500_000_000)
        #expect(body.HostConfig.Memory == 256 << 20)
        #expect(body.HostConfig.Binds == ["/srv:/data:ro", "cache:/cache", "/ro-anon:ro"])
        #expect(body.Volumes == ["/anon": DockerWire.Empty()])
        #expect(
            Set(body.ExposedPorts?.keys ?? [:].keys)
                == ["80/tcp", "9000/udp", "443/tcp", "70/tcp", "71/tcp", "5000/tcp", "60/tcp"])
        let bindings = try #require(body.HostConfig.PortBindings)
        #expect(bindings["80/tcp"] == [DockerWire.PortBinding(HostIp: "", HostPort: "8080")])
        #expect(bindings["9000/udp"] == [DockerWire.PortBinding(HostIp: "127.0.0.1", HostPort: "9000")])
        #expect(bindings["443/tcp"] == nil)
        // A range maps port by port; a host range against one container port is the daemon's range to pick from.
        #expect(bindings["70/tcp"] == [DockerWire.PortBinding(HostIp: "::1", HostPort: "7000")])
        #expect(bindings["71/tcp"] == [DockerWire.PortBinding(HostIp: "::1", HostPort: "7001")])
        #expect(bindings["5000/tcp"] == [DockerWire.PortBinding(HostIp: "127.0.0.1", HostPort: "")])
        #expect(bindings["60/tcp"] == [DockerWire.PortBinding(HostIp: "", HostPort: "6000-6010")])
        #expect(body.HostConfig.NetworkMode == "none")
        #expect(DockerContainerSpec.containerName("0b1c") == "flotilla-0b1c")
    }

    @Test(arguments: [
        InstanceConfig(image: "x", ports: ["80:http"]),
        InstanceConfig(image: "x", ports: ["1:2:3:4"]),
        InstanceConfig(image: "x", ports: ["70000"]),
        InstanceConfig(image: "x", ports: ["80/icmp"]),
        InstanceConfig(image: "x", volumes: [":/data"]),
        InstanceConfig(image: "x", env: ["NOVALUE"]),
        InstanceConfig(image: " "),
        InstanceConfig(image: "Nginx"),
    ])
    func invalidConfigIsRefusedBeforeAnyCall(_ config: InstanceConfig) throws {
        let request = BackendCreateRequest(id: "i", name: "n", kind: .container, spec: InstanceSpec(config: config))
        let error = #expect(throws: BackendError.self) { _ = try DockerContainerSpec.body(request) }
        // The adapter refuses with the core's own message: one set of checks, not two.
        let core = #expect(throws: FlotillaError.self) { try InstanceValidation.validateConfig(config, backend: .docker) }
        #expect(error == .invalidRequest(try #require(core).message))
    }

    @Test func vmsAndTinyMemoryAreRefused() {
        let vm = BackendCreateRequest(id: "i", name: "n", kind: .vm, spec: InstanceSpec(config: InstanceConfig(image: "x")))
        #expect(throws: BackendError.self) { _ = try DockerContainerSpec.body(vm) }
        #expect(throws: BackendError.self) { try DockerContainerSpec.validate(Resources(cpuCores: 1, memoryBytes: 1 << 20)) }
        #expect(throws: BackendError.self) { try DockerContainerSpec.validate(Resources(cpuCores: 0, memoryBytes: 64 << 20)) }
    }

    @Test func pullReferences() {
        #expect(DockerContainerSpec.pullReference("busybox") == ("busybox", "latest"))
        #expect(DockerContainerSpec.pullReference("busybox:1.36") == ("busybox", "1.36"))
        #expect(DockerContainerSpec.pullReference("localhost:5000/app") == ("localhost:5000/app", "latest"))
        #expect(DockerContainerSpec.pullReference("localhost:5000/app:2") == ("localhost:5000/app", "2"))
        #expect(DockerContainerSpec.pullReference("app@sha256:abc").tag == nil)
        let digest = "app@sha256:" + String(repeating: "ab", count: 32)
        #expect(DockerContainerSpec.pullReference(digest) == (digest, nil))
        #expect(DockerContainerSpec.pullReference("[::1]:5000/team/app:v2") == ("[::1]:5000/team/app", "v2"))
    }

    @Test(
        arguments: [
            (#"{"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"io.flotilla.instance":"i1"}},"timeNano":5}"#, "i1"),
            (#"{"Type":"container","Action":"destroy","Actor":{"Attributes":{"io.flotilla.instance":"i2","name":"x"}}}"#, "i2"),
            (#"{"Type":"container","Action":"exec_start: sh","Actor":{"Attributes":{"io.flotilla.instance":"i3"}}}"#, nil),
            (#"{"Type":"network","Action":"connect","Actor":{"Attributes":{"io.flotilla.instance":"i4"}}}"#, nil),
            (#"{"Type":"container","Action":"start","Actor":{"Attributes":{"name":"flotilla-i5"}}}"#, nil),
            (#"{"Type":"container","Action":"start","Actor":{"Attributes":{"io.flotilla.instance":""}}}"#, nil),
        ] as [(String, String?)])
    func eventsMapToInstances(_ line: String, _ id: String?) throws {
        let event = try JSONDecoder().decode(DockerWire.Event.self, from: Data(line.utf8))
        #expect(DockerEventFollower.instanceId(of: event) == id)
    }

    @Test func eventQuery() {
        #expect(DockerEventFollower.timestamp(1_700_000_000_000_000_001) == "1700000000.000000001")
        #expect(DockerEventFollower.timestamp(1_700_000_000_123_456_789) == "1700000000.123456789")
        #expect(DockerEventFollower.filters.hasPrefix(#"{"type":["container"],"label":["io.flotilla.instance"],"event":["create","#))
    }

    @Test func apiVersionNegotiation() {
        #expect(DockerEngineClient.negotiate(daemon: "1.41") == "1.41")
        #expect(DockerEngineClient.negotiate(daemon: "1.49") == "1.41")
        #expect(DockerEngineClient.negotiate(daemon: "1.40") == "1.40")
        #expect(DockerBackend.wholeSeconds(.milliseconds(1500)) == 2)
        #expect(DockerBackend.wholeSeconds(.zero) == 0)
        #expect(DockerBackend.wholeSeconds(.seconds(20)) == 20)
    }

    @Test func usageFromStats() {
        let json = #"""
            {"cpu_stats":{"cpu_usage":{"total_usage":3000},"system_cpu_usage":20000,"online_cpus":2},
             "precpu_stats":{"cpu_usage":{"total_usage":1000},"system_cpu_usage":10000,"online_cpus":2},
             "memory_stats":{"usage":50000,"limit":100000,"stats":{"cache":10000}},
             "networks":{"eth0":{"rx_bytes":10,"tx_bytes":20},"eth1":{"rx_bytes":1,"tx_bytes":2}},
             "blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","value":7},{"op":"Write","value":9}]}}
            """#
        let stats = try? JSONDecoder().decode(DockerWire.Stats.self, from: Data(json.utf8))
        let inspect = DockerWire.ContainerInspect(
            Id: "c", State: State(Status: "running"), Config: nil,
            HostConfig: .init(NanoCpus: 500_000_000, Memory: 100000), SizeRw: 5, SizeRootFs: 50)
        let usage = DockerObservation.usage(stats: stats, inspect: inspect, observedAt: Date(timeIntervalSince1970: 0))
        #expect(usage.cpuPercent == 40)
        #expect(usage.cpuCores == 0.5)
        #expect(usage.memoryUsedBytes == 40000)
        #expect(usage.memoryLimitBytes == 100000)
        #expect(usage.networkRxBytes == 11)
        #expect(usage.networkTxBytes == 22)
        #expect(usage.storageUsedBytes == 5)
        #expect(DockerObservation.blockIO(stats) == (7, 9))
    }
}
