/// The Engine API shapes of docker networks (API 1.41): the calls that put a container on a Flotilla network
/// (``DockerNetworks``). Only the fields Flotilla reads or writes are declared.
extension DockerWire {
    /// `POST /networks/create`.
    struct NetworkCreate: Encodable, Sendable, Equatable {
        var Name: String
        /// Without it, dockerd 20.10 makes a second network of the same name.
        var CheckDuplicate: Bool
        var Driver: String
        var IPAM: DockerWire.IPAM
        var Options: [String: String]
        var Labels: [String: String]
    }

    struct IPAM: Codable, Sendable, Equatable {
        var Driver: String?
        var Config: [IPAMPool]?
    }

    struct IPAMPool: Codable, Sendable, Equatable {
        var Subnet: String?
        var Gateway: String?
    }

    /// `GET /networks/{id}`.
    struct NetworkInspect: Decodable, Sendable, Equatable {
        var Name: String
        var Id: String
        var Driver: String?
        var IPAM: DockerWire.IPAM?
        var Options: [String: String]?
        var Labels: [String: String]?
    }

    /// An endpoint as asked for: in `NetworkingConfig.EndpointsConfig` of a create and in a connect.
    struct EndpointConfig: Encodable, Sendable, Equatable {
        var IPAMConfig: EndpointIPAMConfig
        /// Honoured by the daemon on API 1.44 and later only; 1.41 takes the container's ``ContainerCreate/MacAddress``
        /// for its first network and makes up the others'.
        var MacAddress: String?
    }

    struct EndpointIPAMConfig: Encodable, Sendable, Equatable {
        var IPv4Address: String
    }

    /// `NetworkingConfig` of `POST /containers/create`.
    struct NetworkingConfig: Encodable, Sendable, Equatable {
        var EndpointsConfig: [String: EndpointConfig]
    }

    /// `POST /networks/{id}/connect`.
    struct NetworkConnect: Encodable, Sendable, Equatable {
        var Container: String
        var EndpointConfig: DockerWire.EndpointConfig
    }

    /// `NetworkSettings` of `GET /containers/{id}/json`.
    struct NetworkSettings: Decodable, Sendable, Equatable {
        var Networks: [String: AttachedNetwork]?
    }

    /// One network a container is attached to, as inspect shows it: the address is empty while it does not run.
    struct AttachedNetwork: Decodable, Sendable, Equatable {
        var IPAddress: String?
        var MacAddress: String?
    }
}
