import FlotillaCore
import Foundation

/// Addresses of a new instance's interfaces (docs/decisions/0025-vm-networks.md): chosen by the pure
/// ``AddressAllocator`` over what the registry holds, made certain by the create transaction, which compares each
/// address key absent; a create that lost a race reads the networks' keys from the store and chooses again.
extension InstanceService {
    /// How many times a create chooses addresses again after losing a race for one (then 409).
    static let addressAttempts = 16

    /// The interfaces with addresses and MACs filled, for attempt `attempt` (0 first). A retry after a lost race
    /// skips a few free addresses at random, so that creates that lost together do not collide again. Refusals are
    /// errors on the interface's field: 400, or 409 for an address in use or a network with none free.
    func allocateAddresses(
        _ interfaces: [NetworkInterface], networks: [String: NetworkDefinition], taken: [String: Set<IPv4Address>],
        attempt: Int
    ) throws(FlotillaError) -> [NetworkInterface] {
        guard !interfaces.isEmpty else { return [] }
        if attempt > 0,
            case .success(let spread) = AddressAllocator.allocate(
                interfaces, networks: networks, taken: Self.skipping(interfaces, networks: networks, taken: taken, attempt: attempt))
        {
            return spread
        }
        switch AddressAllocator.allocate(interfaces, networks: networks, taken: taken) {
        case .success(let filled): return filled
        case .failure(let refusal): throw Self.error(refusal, interfaces)
        }
    }

    /// `taken` and, per network an interface takes any free address of, up to `attempt` (at most 4) more of the
    /// lowest free ones, chosen at random.
    static func skipping(
        _ interfaces: [NetworkInterface], networks: [String: NetworkDefinition], taken: [String: Set<IPv4Address>], attempt: Int
    ) -> [String: Set<IPv4Address>] {
        var out = taken
        for interface in interfaces where interface.address == nil {
            for _ in 0..<Int.random(in: 0...min(attempt, 4)) {
                guard
                    case .success(let one) = AddressAllocator.allocate(
                        [NetworkInterface(network: interface.network)], networks: networks, taken: out),
                    let address = one.first?.address
                else { break }
                out[interface.network, default: []].insert(address)
            }
        }
        return out
    }

    /// `taken` with every address the store holds a key for on `networks` (a range read per network).
    func storedAddresses(on networks: [String], adding taken: [String: Set<IPv4Address>]) async throws(FlotillaError)
        -> [String: Set<IPv4Address>]
    {
        var out = taken
        for network in Set(networks) {
            let prefix = StoreKeys.addresses + network + "/"
            let range: RangeResult
            do { range = try await store.range(prefix: prefix) } catch { throw storeError(error) }
            for kv in range.kvs {
                if let address = IPv4Address(kv.key.dropFirst(prefix.count)) { out[network, default: []].insert(address) }
            }
        }
        return out
    }

    /// Whether another instance holds the name key now.
    func nameHeld(_ key: String) async throws(FlotillaError) -> Bool {
        do { return try await store.get(key) != nil } catch { throw storeError(error) }
    }

    /// A refusal of the allocator as the error of the interface it concerns: `config.networks[i].<field>`.
    static func error(_ refusal: AddressAllocator.Refusal, _ interfaces: [NetworkInterface]) -> FlotillaError {
        func field(_ network: String, _ suffix: String, last: Bool = false) -> String {
            let index = (last ? interfaces.lastIndex { $0.network == network } : interfaces.firstIndex { $0.network == network }) ?? 0
            return "config.networks[\(index)].\(suffix)"
        }
        switch refusal {
        case .inUse(let network, let address):
            return FlotillaError(
                .nameConflict, refusal.message,
                details: [
                    "network": .string(network), "address": .string(address.description), "field": .string(field(network, "address")),
                ])
        case .exhausted(let network, _):
            return FlotillaError(
                .resourceLimitExceeded, refusal.message,
                details: ["network": .string(network), "field": .string(field(network, "network"))])
        case .unknownNetwork(let network): return .validation(refusal.message, field: field(network, "network"))
        case .duplicateNetwork(let network): return .validation(refusal.message, field: field(network, "network", last: true))
        case .outsideRange(let network, _, _), .reserved(let network, _):
            return .validation(refusal.message, field: field(network, "address"))
        case .badMAC(let mac):
            let index = interfaces.firstIndex { $0.mac == mac } ?? 0
            return .validation(refusal.message, field: "config.networks[\(index)].mac")
        }
    }

    /// The catalog references of a config resolve (its initrd and root images, its disks' images), else 400 on the
    /// reference's field.
    static func checkImageReferences(_ config: InstanceConfig, images: [String: Image]) throws(FlotillaError) {
        do {
            _ = try ImageArtifacts.resolve(config, images: images)
            _ = try ImageArtifacts.diskImages(config, images: images)
        } catch {
            throw .validation(error.description, field: error.field)
        }
    }
}
