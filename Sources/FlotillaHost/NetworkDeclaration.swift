import FlotillaCore
import Foundation

/// Writes the networks a host declares (`serve --network`) into the store at start (docs/decisions/0025-vm-networks.md).
/// The first host to declare a network writes it (compare absent); a host whose declaration differs from the stored
/// one refuses to start, naming both: the cluster's definition wins, and the operator fixes the flag.
enum NetworkDeclaration {
    static func declare(_ networks: [NetworkDefinition], store: any ClusterStore) async throws {
        for network in networks {
            let key = StoreKeys.network(network.name)
            let result = try await store.txn([.absent(key)], then: [.put(key, try StoreCodec.encode(network))], otherwise: [])
            if result.succeeded { continue }
            guard let kv = try await store.get(key) else { continue }
            guard let stored = try? StoreCodec.decode(NetworkDefinition.self, from: kv.value) else {
                throw HostError.configuration(
                    "--network \(network.name): the cluster's record of network \(network.name) cannot be read; it is left alone")
            }
            guard stored == network else {
                throw HostError.configuration(
                    "--network \(flag(network)) differs from the cluster's definition of network \(network.name), "
                        + "\(flag(stored)); the cluster's definition wins: give --network \(flag(stored)) or leave it out")
            }
        }
    }

    /// A definition in the `--network` syntax (every setting written out).
    static func flag(_ network: NetworkDefinition) -> String {
        var text = "\(network.name)=\(network.cidr),gateway=\(network.gateway)"
        if !network.managed { text += ",bridge=\(network.bridge)" }
        if !network.nameservers.isEmpty { text += ",dns=" + network.nameservers.map(\.description).joined(separator: "+") }
        return text
    }
}
