import Foundation

extension Global {
    /// One VM network of the cluster (docs/decisions/0025-vm-networks.md), as `GET /api/v2/networks` lists it.
    public struct Network: Codable, Sendable, Equatable {
        public var name: String
        public var cidr: String
        public var gateway: String
        public var bridge: String
        /// Whether Flotilla makes the bridge (`fl-<name>`) or attaches to one the operator made.
        public var managed: Bool
        public var nameservers: [String]
        /// How many addresses live instances hold on it.
        public var addressesInUse: Int

        enum CodingKeys: String, CodingKey {
            case name, cidr, gateway, bridge, managed, nameservers
            case addressesInUse = "addresses_in_use"
        }

        public init(
            name: String, cidr: String, gateway: String, bridge: String, managed: Bool, nameservers: [String], addressesInUse: Int
        ) {
            self.name = name
            self.cidr = cidr
            self.gateway = gateway
            self.bridge = bridge
            self.managed = managed
            self.nameservers = nameservers
            self.addressesInUse = addressesInUse
        }
    }

    /// `GET /api/v2/networks`: every network, by name.
    public struct NetworkList: Codable, Sendable, Equatable {
        public var items: [Network]
        public init(items: [Network]) { self.items = items }
    }

    /// `GET /api/v2/networks/{name}`: the network and the address each live instance holds on it.
    public struct NetworkDetail: Codable, Sendable, Equatable {
        /// One address in use.
        public struct Allocation: Codable, Sendable, Equatable {
            public var address: String
            public var mac: String?
            public var instanceId: String
            public var instanceName: String

            enum CodingKeys: String, CodingKey {
                case address, mac
                case instanceId = "instance_id"
                case instanceName = "instance_name"
            }

            public init(address: String, mac: String?, instanceId: String, instanceName: String) {
                self.address = address
                self.mac = mac
                self.instanceId = instanceId
                self.instanceName = instanceName
            }
        }

        public var network: Network
        /// By address.
        public var allocations: [Allocation]

        public init(network: Network, allocations: [Allocation]) {
            self.network = network
            self.allocations = allocations
        }
    }
}
