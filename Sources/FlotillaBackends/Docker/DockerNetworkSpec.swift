import FlotillaCore

/// Flotilla networks as docker networks (pure: no I/O; docs/decisions/0002-docker-backend.md, "Networks").
///
/// - Flotilla network `NAME` is the docker network `flotilla-NAME`: driver `bridge`, IPAM subnet the network's CIDR
///   and gateway its gateway, label `io.flotilla.network=NAME`, and the bridge option
///   `com.docker.network.bridge.name` set to the network's bridge, so that the containers and the VMs of a network
///   share one bridge on the host. An unmanaged network's bridge (the operator's) also gets
///   `com.docker.network.bridge.inhibit_ipv4`: docker then leaves its addresses alone.
/// - A container on networks is created on the first (`HostConfig.NetworkMode`, its address in `EndpointsConfig`, its
///   MAC as the container's `MacAddress`) and connected to the others before it starts. Its label
///   `io.flotilla.addresses` (`NAME=ADDRESS,...`) keeps what Flotilla allocated, for ``mismatches(expected:attached:)``.
enum DockerNetworkSpec {
    /// The label a managed docker network carries: the Flotilla network's name.
    static let networkLabel = "io.flotilla.network"
    /// The container label holding the addresses Flotilla allocated.
    static let addressesLabel = "io.flotilla.addresses"
    static let bridgeNameOption = "com.docker.network.bridge.name"
    static let inhibitIPv4Option = "com.docker.network.bridge.inhibit_ipv4"

    /// `flotilla-<name>`.
    static func dockerName(_ network: String) -> String { "flotilla-\(network)" }

    /// One interface of the instance, as the docker network it joins.
    struct Attachment: Sendable, Equatable {
        var network: NetworkDefinition
        var address: IPv4Address
        var mac: String?

        var dockerNetwork: String { DockerNetworkSpec.dockerName(network.name) }

        var endpoint: DockerWire.EndpointConfig {
            DockerWire.EndpointConfig(IPAMConfig: .init(IPv4Address: address.description), MacAddress: mac)
        }
    }

    /// The interfaces of `request` in order, each with its network's definition and its allocated address. Refuses
    /// what the docker backend cannot carry out: a `config.networkMode` beside networks, a network the request does
    /// not define, an interface without an address (the create path allocates one), a macvtap or a bridge override.
    static func attachments(_ request: BackendCreateRequest) throws(BackendError) -> [Attachment] {
        let config = request.spec.config
        let interfaces = config.networks ?? []
        guard !interfaces.isEmpty else { return [] }
        if let mode = config.networkMode, !mode.isEmpty {
            throw BackendError.invalidRequest(
                "config.networkMode \(mode) and config.networks cannot be used together: an instance on Flotilla networks "
                    + "is attached to their docker networks (flotilla-<name>)")
        }
        var out: [Attachment] = []
        var seen: Set<String> = []
        for (i, interface) in interfaces.enumerated() {
            let field = "config.networks[\(i)]"
            guard let network = request.networks[interface.network] else {
                throw BackendError.invalidRequest("\(field): network \(interface.network) is not defined")
            }
            guard seen.insert(network.name).inserted else {
                throw BackendError.invalidRequest("\(field): network \(network.name) is named by more than one interface")
            }
            guard let address = interface.address else {
                throw BackendError.invalidRequest("\(field): no address was allocated on network \(network.name)")
            }
            guard interface.effectiveMode == .tap, interface.bridge == nil else {
                throw BackendError.invalidRequest(
                    "\(field): macvtap and bridge overrides are for VMs: the docker backend does not take them")
            }
            out.append(Attachment(network: network, address: address, mac: interface.mac))
        }
        return out
    }

    /// The create body of the docker network of `network`.
    static func createBody(_ network: NetworkDefinition) -> DockerWire.NetworkCreate {
        var options = [bridgeNameOption: network.bridge]
        if !network.managed { options[inhibitIPv4Option] = "true" }
        return DockerWire.NetworkCreate(
            Name: dockerName(network.name), CheckDuplicate: true, Driver: "bridge",
            IPAM: DockerWire.IPAM(
                Driver: "default",
                Config: [DockerWire.IPAMPool(Subnet: network.cidr.description, Gateway: network.gateway.description)]),
            Options: options, Labels: [networkLabel: network.name])
    }

    /// Why the docker network found under the name of `network` cannot carry it (another driver, subnet, gateway or
    /// bridge); nil when it can. A pool without a gateway is read as docker reads it: the first host address.
    static func problem(_ existing: DockerWire.NetworkInspect, for network: NetworkDefinition) -> String? {
        let pools = existing.IPAM?.Config ?? []
        let subnets = pools.compactMap(\.Subnet)
        let gateway = pools.first(where: { $0.Subnet == network.cidr.description })?.Gateway
        let expectedGateway = network.gateway.description
        let bridge = existing.Options?[bridgeNameOption]
        let what = "docker network \(existing.Name) exists"
        let wanted = "but Flotilla network \(network.name) is \(network.cidr) with gateway \(expectedGateway) on bridge \(network.bridge)"
        let remedy = "; remove it (docker network rm \(existing.Name)) or define the network to match"
        if let driver = existing.Driver, driver != "bridge" { return "\(what) with driver \(driver), \(wanted)\(remedy)" }
        guard subnets == [network.cidr.description] else {
            let shown = subnets.isEmpty ? "no subnet" : "subnet \(subnets.joined(separator: ", "))"
            return "\(what) with \(shown), \(wanted)\(remedy)"
        }
        if let gateway, !gateway.isEmpty, gateway != expectedGateway {
            return "\(what) with gateway \(gateway), \(wanted)\(remedy)"
        }
        if (gateway ?? "").isEmpty, network.gateway.value != network.cidr.hosts.lowerBound {
            return "\(what) with the default gateway, \(wanted)\(remedy)"
        }
        guard bridge == network.bridge else { return "\(what) on bridge \(bridge ?? "(docker's choice)"), \(wanted)\(remedy)" }
        return nil
    }

    /// The value of ``addressesLabel``: `NAME=ADDRESS` per interface, `,`-separated.
    static func addressesLabelValue(_ attachments: [Attachment]) -> String {
        attachments.map { "\($0.network.name)=\($0.address)" }.joined(separator: ",")
    }

    /// The addresses Flotilla allocated, by Flotilla network, from a container's ``addressesLabel``.
    static func allocatedAddresses(label: String?) -> [(network: String, address: String)] {
        (label ?? "").split(separator: ",").compactMap { entry in
            let pair = entry.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        }
    }

    /// What differs between the addresses Flotilla allocated and the networks docker shows a running container on:
    /// a network it is no longer attached to, or another address. Empty when they agree.
    static func mismatches(
        expected: [(network: String, address: String)], attached: [String: DockerWire.AttachedNetwork]
    ) -> [String] {
        expected.compactMap { network, address in
            let name = dockerName(network)
            guard let endpoint = attached[name] else {
                return "not attached to docker network \(name) (Flotilla allocated \(address) on network \(network))"
            }
            guard let actual = endpoint.IPAddress, !actual.isEmpty, actual != address else { return nil }
            return "docker network \(name) gave it \(actual), Flotilla allocated \(address) on network \(network)"
        }
    }

    /// The nameservers of the networks, in order, each once (the container's `HostConfig.Dns`); nil when none.
    static func nameservers(_ attachments: [Attachment]) -> [String]? {
        var out: [String] = []
        for server in attachments.flatMap(\.network.nameservers).map(\.description) where !out.contains(server) {
            out.append(server)
        }
        return out.isEmpty ? nil : out
    }
}
