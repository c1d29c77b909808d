import FlotillaCore
import Logging
import NIOHTTP1

/// The docker networks of Flotilla networks on one daemon (the I/O of ``DockerNetworkSpec``): each is created on
/// first use and checked on every use; containers are connected to them. Every call has the client's deadline.
///
/// Creating is conflict-safe: `CheckDuplicate` makes a second create of the same name fail (and the daemon's address
/// allocator refuses a second pool of the same subnet), and a create that fails is followed by look-ups for up to 2 s:
/// a network that a concurrent create made meanwhile is used when it matches. Networks are never removed by Flotilla: they
/// are shared by the instances (and the VMs' bridge) and cost nothing while empty.
struct DockerNetworks: Sendable {
    let engine: DockerEngineClient
    let logger: Logger

    /// How often a refused create looks for the network a concurrent create is making, and the pause between.
    static let lookupsAfterRefusal = 10
    static let lookupPause: Duration = .milliseconds(200)

    /// Makes sure the docker network of `network` exists and carries it; throws a clear ``BackendError/failed(_:)``
    /// when a docker network of that name has another driver, subnet, gateway or bridge.
    func ensure(_ network: NetworkDefinition) async throws {
        let name = DockerNetworkSpec.dockerName(network.name)
        if let existing = try await find(name) { return try check(existing, network) }
        let response = try await engine.send(.POST, "/networks/create", json: DockerNetworkSpec.createBody(network))
        if response.status == 201 {
            logger.debug(
                "docker network created",
                metadata: ["network": "\(name)", "subnet": "\(network.cidr)", "bridge": "\(network.bridge)"])
            return
        }
        // A concurrent create may have made it meanwhile (409 "already exists", or 403 for the same pool); the
        // daemon refuses the overlapping pool while that create is still under way, so look a few times.
        for attempt in 0..<Self.lookupsAfterRefusal {
            if attempt > 0 { try await Task.sleep(for: Self.lookupPause) }
            if let existing = try await find(name) { return try check(existing, network) }
        }
        throw BackendError.failed(
            "docker could not create network \(name) for Flotilla network \(network.name) (\(network.cidr), bridge "
                + "\(network.bridge)): \(response.message)")
    }

    /// Connects container `container` (an id) to the attachment's docker network, with its address.
    func connect(container: String, _ attachment: DockerNetworkSpec.Attachment) async throws {
        let path = "/networks/\(DockerEngineClient.encode(attachment.dockerNetwork))/connect"
        let response = try await engine.send(
            .POST, path, json: DockerWire.NetworkConnect(Container: container, EndpointConfig: attachment.endpoint))
        guard response.status == 200 else {
            throw BackendError.failed(
                "docker could not attach the container to network \(attachment.dockerNetwork) with address "
                    + "\(attachment.address) (\(response.status)): \(response.message)")
        }
    }

    /// The docker network named exactly `name`, or nil.
    private func find(_ name: String) async throws -> DockerWire.NetworkInspect? {
        let response = try await engine.send(.GET, "/networks/\(DockerEngineClient.encode(name))")
        switch response.status {
        case 200:
            let network = try response.decode(DockerWire.NetworkInspect.self)
            return network.Name == name ? network : nil
        case 404: return nil
        default: throw BackendError.failed("docker could not look up network \(name) (\(response.status)): \(response.message)")
        }
    }

    private func check(_ existing: DockerWire.NetworkInspect, _ network: NetworkDefinition) throws {
        if let problem = DockerNetworkSpec.problem(existing, for: network) { throw BackendError.failed(problem) }
    }
}
