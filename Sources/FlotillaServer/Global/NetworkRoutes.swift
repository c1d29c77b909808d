import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// `GET /api/v2/networks` and `GET /api/v2/networks/{name}` (readers): the cluster's VM networks and the addresses
/// live instances hold on them, from the registry (docs/decisions/0025-vm-networks.md, docs/api/surface-d-global.md).
struct NetworkRoutes {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.get, "/api/v2/networks", permission: .read) { _, _ in
            let state = deps.registry.snapshot
            let used = state.addressesInUse
            let items = state.networks.values.sorted { $0.name < $1.name }.map { Self.wire($0, inUse: used[$0.name]?.count ?? 0) }
            return JSONResponse.make(Global.NetworkList(items: items))
        }
        routes.add(.get, "/api/v2/networks/:name", permission: .read) { _, ctx in
            let name = try ctx.parameters.require("name")
            let state = deps.registry.snapshot
            guard let network = state.networks[name] else {
                throw FlotillaError(.notFound, "Network \(name) not found", details: ["name": .string(name)])
            }
            return JSONResponse.make(Self.detail(network, state))
        }
    }

    static func wire(_ n: NetworkDefinition, inUse: Int) -> Global.Network {
        Global.Network(
            name: n.name, cidr: n.cidr.description, gateway: n.gateway.description, bridge: n.bridge, managed: n.managed,
            nameservers: n.nameservers.map(\.description), addressesInUse: inUse)
    }

    /// The network with every live interface on it, by address.
    static func detail(_ network: NetworkDefinition, _ state: RegistryState) -> Global.NetworkDetail {
        var allocations: [(IPv4Address, Global.NetworkDetail.Allocation)] = []
        for instance in state.liveInstances {
            for interface in instance.spec.config.networks ?? [] where interface.network == network.name {
                guard let address = interface.address else { continue }
                allocations.append(
                    (
                        address,
                        .init(address: address.description, mac: interface.mac, instanceId: instance.id, instanceName: instance.name)
                    ))
            }
        }
        allocations.sort { $0.0 < $1.0 }
        return Global.NetworkDetail(network: wire(network, inUse: allocations.count), allocations: allocations.map(\.1))
    }
}
